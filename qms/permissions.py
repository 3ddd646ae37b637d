"""The permission check every service makes for itself:

    def approve_record(*, actor, record, ...):
        require(actor, "documents.approve")

So the API, the pages, the admin and the management commands can never do what a service would
refuse: their own declarations only give early 403s and the schema. `actor=None` is the system
(beat jobs, data migrations, event handlers), which is always allowed.
"""

from __future__ import annotations

from .errors import PermissionDenied


def has(actor, codename: str) -> bool:
    """Whether `actor` (a user, or None for the system) holds `codename`."""
    if actor is None:
        return True
    return bool(getattr(actor, "is_active", False)) and actor.has_qms_permission(codename)


def require(actor, codename: str, *, detail: str | None = None) -> None:
    """Raises PermissionDenied (403 PERMISSION_DENIED) unless `actor` holds `codename`."""
    if not has(actor, codename):
        raise PermissionDenied(detail or f"You need the '{codename}' permission for this action.")


def require_any(actor, *codenames: str, detail: str | None = None) -> None:
    """Raises PermissionDenied unless `actor` holds at least one of `codenames`."""
    if not any(has(actor, c) for c in codenames):
        raise PermissionDenied(detail or f"You need one of the permissions {', '.join(codenames)} for this action.")
