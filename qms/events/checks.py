"""System check: every handler subscribes to events that exist (a typo would never be delivered)."""

from django.core.checks import Error, register

from .handlers import registered_handlers
from .names import catalogue, pattern_matches


@register()
def handlers_match_known_events(app_configs=None, **kwargs):
    names = list(catalogue())
    return [
        Error(
            f"Event handler {handler.name!r} subscribes to {handler.pattern!r}, which matches no declared event.",
            hint="Declare the event in an EventName enum in the app's events.py, or fix the pattern.",
            obj=handler.func,
            id="qms.E101",
        )
        for handler in registered_handlers().values()
        if not any(pattern_matches(handler.pattern, name) for name in names)
    ]
