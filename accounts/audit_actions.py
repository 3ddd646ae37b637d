"""What the accounts app records in the audit trail (sign-in, lockout, access changes)."""

from audit.actions import AuditAction


class AccountAction(AuditAction):
    LOGIN = "login", "Sign-in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Sign-out"
    LOCKOUT = "lockout", "Account locked"
    PASSWORD_CHANGE = "password_change", "Password change"
    SIGNATURE_FAILED = "signature_failed", "Failed signature (re-authentication)"
    PERMISSION_CHANGE = "permission_change", "Access change"
    DEACTIVATE = "deactivate", "Account deactivated"
    REAUTHENTICATION_FAILED = "reauthentication_failed", "Failed re-authentication for an access change"
    TOKEN_REUSE = "token_reuse", "Reuse of a revoked refresh token (token family revoked)"
    PASSWORD_RESET = "password_reset", "Password set by an administrator (to be changed at first use)"
    PASSWORD_CHANGE_REQUIRED = "password_change_required", "Password change required at next use"
    SESSION_TIMEOUT = "session_timeout", "Page session ended after inactivity"
    INACTIVITY_DEACTIVATION = "inactivity_deactivation", "Account disabled after a period without use"
    FAILED_ATTEMPTS_ALERT = "failed_attempts_alert", "Administrators alerted of repeated failed attempts"
