"""One permission check for the API: views map actions to QMS permission codenames.

    class DocumentViewSet(viewsets.ModelViewSet):
        required_permissions = {"list": "documents.view", "create": "documents.create"}

The key is the ViewSet action (`list`, `retrieve`, `create`, a custom @action name) or, for plain
APIViews, the lower-case HTTP method. A view without an entry for the current action requires
only authentication; `"*"` is the fallback entry. The value `None` means "any authenticated user";
`PUBLIC` means anonymous clients are allowed too.

A signed-in user whose password must be changed first (`user.password_change_reason()`: set by
someone else, or expired; accounts.passwords) gets 403 PASSWORD_CHANGE_REQUIRED from every view
except those with `allowed_while_password_change_due = True` (change-password, me, logout).
"""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission


class _Public:
    def __repr__(self) -> str:
        return "PUBLIC"


PUBLIC = _Public()


class PasswordChangeRequired(exceptions.PermissionDenied):
    error_code = "PASSWORD_CHANGE_REQUIRED"
    reasons = {
        "first_use": "it was set by someone else and must be changed at first use",
        "expired": "it has expired",
    }

    def __init__(self, reason: str):
        super().__init__(f"Change your password first (POST /api/auth/change-password): {self.reasons.get(reason, reason)}.")


def required_codename(view, request):
    mapping = getattr(view, "required_permissions", {}) or {}
    key = getattr(view, "action", None) or request.method.lower()
    if key in mapping:
        return mapping[key], True
    if request.method.lower() in mapping:
        return mapping[request.method.lower()], True
    if "*" in mapping:
        return mapping["*"], True
    return None, False


class HasPermission(BasePermission):
    def has_permission(self, request, view):
        if request.method.upper() not in view.allowed_methods:
            # A method the endpoint does not have (e.g. TRACE) is a 405 for everyone, before any 401/403.
            raise exceptions.MethodNotAllowed(request.method)
        codename, declared = required_codename(view, request)
        if declared and codename is PUBLIC:
            return True
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        due = getattr(user, "password_change_reason", None)
        if callable(due) and not getattr(view, "allowed_while_password_change_due", False):
            reason = due()
            if reason:
                raise PasswordChangeRequired(reason)
        if codename is None:
            return True
        codenames = [codename] if isinstance(codename, str) else list(codename)
        # A tuple/list means "any of these".
        if any(user.has_qms_permission(c) for c in codenames):
            return True
        raise exceptions.PermissionDenied(f"You need the '{codenames[0]}' permission for this action.")
