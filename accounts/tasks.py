"""Celery tasks of the accounts app (thin wrappers around its services)."""

from celery import shared_task


@shared_task(name="accounts.tasks.disable_inactive_accounts")
def disable_inactive_accounts() -> int:
    """Daily (beat): disables accounts unused for ACCOUNT_INACTIVITY_DAYS; returns how many."""
    from .services import disable_inactive_accounts as disable

    return len(disable())
