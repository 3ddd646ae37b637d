"""Admin screens of the project package: the event outbox (read-only)."""

from .events import admin as events_admin  # noqa: F401 - registers the outbox screens
