"""Account events: for the audit trail (login, failed login, lockout, logout, password and access
changes) and the domain events other apps may subscribe to (`UserEvent`, see qms.events).

Services call `account_event(...)` (or `account_change(...)` for an update of a user, role or
group) inside their transaction; this module is the one place that turns those calls into audit
records (audit.services.record, and record_change for updates: the one diff-and-record helper of
every app): the actor is snapshotted, the subject (a user, role or group) is the audited record,
and IP and request id come from the request context.
"""

import logging

from qms.events import EventName

logger = logging.getLogger("qms.accounts")


class UserEvent(EventName):
    CREATED = "user.created"
    DEACTIVATED = "user.deactivated"
    REACTIVATED = "user.reactivated"
    FAILED_ATTEMPTS_ALERT = "user.failed_attempts_alert"


def _resource(subject) -> tuple[str, int | None]:
    if subject is None:
        return "user", None  # e.g. a failed sign-in for an account that does not exist
    return subject._meta.model_name, subject.pk


def account_event(
    action: str,
    *,
    actor=None,
    subject=None,
    summary: str,
    old_values: dict | None = None,
    new_values: dict | None = None,
    reason: str = "",
    username: str = "",
) -> None:
    """Records one account event. `actor` did it; `subject` is the user (or role/group) it was done to.

    `username` is the name an unauthenticated actor gave (failed sign-in), kept when `actor` is None.
    """
    from audit import services

    resource_type, resource_id = _resource(subject)
    services.record(
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        summary=summary,
        actor=actor,
        old_values=old_values,
        new_values=new_values,
        reason=reason,
        actor_username=username if actor is None else "",
    )
    logger.info("%s: %s", action, summary)


def account_change(action: str, *, actor, subject, before: dict, summary: str, reason: str = "") -> None:
    """Records the update of `subject` (a user, role or group) since the snapshot `before`
    (`subject.audit_snapshot()` taken before the change) with its old and new values."""
    from audit import services

    if services.record_change(obj=subject, before=before, actor=actor, summary=summary, action=action, reason=reason):
        logger.info("%s: %s", action, summary)
