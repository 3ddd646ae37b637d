"""Every write about users, roles, permissions, groups and sign-in: one function per use case.

Each administrative service checks its own permission (`qms.permissions.require`; `actor=None` is
the system: data migrations, commands, the demo seed). Sign-in, token rotation, sign-out and
password changes act on the caller's own account and need no codename; registration is governed by
REGISTRATION_ENABLED.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from audit.actions import RecordAction
from audit.changes import changed_fields
from audit.services import require_reason
from audit.signatures import SignatureAuthFailed
from qms.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied, check_row_version
from qms.events import emit
from qms.permissions import has, require

from . import alerts, tokens
from .audit_actions import AccountAction
from .authentication import token_matches_password
from .backends import find_user_by_login
from .events import UserEvent, account_change, account_event
from .models import Group, Permission, Role, User, UserPermissionOverride
from .passwords import remember_password

logger = logging.getLogger("qms.accounts")

INVALID_CREDENTIALS = "Incorrect username or password"

# Which changes need a reason (21 CFR 11.10(e), EU GMP Annex 11 §9 and §12): every change to the
# access of an existing account or role. The services enforce it (422 REASON_REQUIRED at
# body.reason) for the API, the pages and the admin alike. Profile edits, group changes and new
# records take an optional reason.
REASON_RULE = (
    'A reason is required (otherwise 422 with loc ["body", "reason"]) for every change to an existing account\'s or '
    "role's access: a user's role, activation or deactivation, admin-site access, single-permission grants, "
    "revocations and their removal, a role's permission set, and unlocking an account."
)
REASON_REQUIRED_USER_FIELDS = ("role", "is_active", "is_staff")


class AccountLocked(AuthenticationFailed):
    error_code = "ACCOUNT_LOCKED"

    def __init__(self, locked_until):
        super().__init__(
            "Account locked after too many failed attempts. "
            f"Try again after {locked_until.strftime('%Y-%m-%d %H:%M')} UTC or ask an administrator to unlock it.",
            extra={"locked_until": locked_until.isoformat().replace("+00:00", "Z")},
        )


class InvalidCredentials(AuthenticationFailed):
    error_code = "INVALID_CREDENTIALS"
    default_detail = INVALID_CREDENTIALS


# The permissions an account needs to administer accounts; at least one active user keeps both.
ADMINISTRATION_PERMISSIONS = ("users.manage", "roles.manage")


class ReauthenticationFailed(AuthenticationFailed):
    error_code = "REAUTHENTICATION_FAILED"
    default_detail = "Your password is incorrect; the change was not made."


# --- sign-in ------------------------------------------------------------------------------------


def authenticate_credentials(*, login: str, password: str) -> User:
    """Checks a username/email and password, applying the lockout rule. Raises on failure.

    The failure count (and its audit events) is committed even though the caller gets an error.
    """
    with transaction.atomic():
        user, error = _check_credentials(login, password)
    if error is not None:
        raise error
    return user


def _check_credentials(login: str, password: str) -> tuple[User | None, Exception | None]:
    user = find_user_by_login(login)
    if user is not None:
        user = User.objects.select_for_update(of=("self",)).select_related("role").get(pk=user.pk)
    now = timezone.now()
    if user is None:
        User().set_password(password)
        account_event(
            AccountAction.LOGIN_FAILED, summary=f"Failed login for unknown account {login[:150]!r}", username=login[:150]
        )
        alerts.check_failed_attempts(login=login, now=now)
        return None, InvalidCredentials()
    if user.is_locked(now):
        account_event(
            AccountAction.LOGIN_FAILED,
            subject=user,
            summary=f"Login attempt on locked account {user.username}",
            username=user.username,
        )
        alerts.check_failed_attempts(user=user, now=now)
        return None, AccountLocked(user.locked_until)
    if not user.check_password(password) or not user.is_active:
        register_failed_attempt(user=user, now=now, what="login")
        if user.is_locked(now):
            return None, AccountLocked(user.locked_until)
        return None, InvalidCredentials()
    _reset_failures(user)
    user.last_login = now
    user.save(update_fields=["last_login", "failed_login_count", "locked_until"])
    account_event(AccountAction.LOGIN, actor=user, subject=user, summary=f"{user.username} signed in")
    return user, None


_FAILURE_ACTIONS = {"login": AccountAction.LOGIN_FAILED, "re-authentication": AccountAction.REAUTHENTICATION_FAILED}


def register_failed_attempt(*, user: User, now=None, what: str = "login") -> None:
    """Counts a failed password check (login, signature, re-authentication); locks the account at the limit."""
    now = now or timezone.now()
    user.failed_login_count += 1
    fields = ["failed_login_count"]
    account_event(
        _FAILURE_ACTIONS.get(what, AccountAction.SIGNATURE_FAILED),
        subject=user,
        actor=user if what != "login" else None,
        summary=f"Failed {what} for {user.username} ({user.failed_login_count} consecutive)",
        username=user.username,
    )
    alerts.check_failed_attempts(user=user, now=now)
    if user.failed_login_count >= settings.LOGIN_MAX_FAILED_ATTEMPTS:
        user.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        user.failed_login_count = 0
        fields.append("locked_until")
        account_event(
            AccountAction.LOCKOUT,
            subject=user,
            summary=f"{user.username} locked until {user.locked_until.isoformat()} after "
            f"{settings.LOGIN_MAX_FAILED_ATTEMPTS} failed attempts",
            new_values={"locked_until": user.locked_until.isoformat()},
            username=user.username,
        )
    user.save(update_fields=fields)


def _password_checked(*, user: User, password: str | None, what: str) -> tuple[User, str | None]:
    """Checks the password of `user` again, in its own transaction with the user's row locked.
    Returns the user as stored and why it failed: None (it did not), "inactive", "locked" (before
    this attempt), "wrong" or "wrong_now_locked". A wrong password counts toward lockout and is
    audited as a failed `what`; a right one resets the count. Call it OUTSIDE any atomic block, so
    the failed attempt stays recorded when the caller raises."""
    with transaction.atomic():
        checked = User.objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        if not checked.is_active:
            return checked, "inactive"
        if checked.is_locked(now):
            return checked, "locked"
        if not checked.check_password(password or ""):
            register_failed_attempt(user=checked, now=now, what=what)
            return checked, "wrong_now_locked" if checked.is_locked(now) else "wrong"
        if checked.failed_login_count:
            checked.failed_login_count = 0
            checked.save(update_fields=["failed_login_count"])
    return checked, None


def authenticate_signer(*, user: User, password: str) -> None:
    """Re-authenticates a signer with their password (21 CFR 11.200) before an electronic signature.
    Call it OUTSIDE any atomic block.

    A wrong password counts toward lockout and is audited; that is committed before
    SignatureAuthFailed (401 SIGNATURE_AUTH_FAILED) is raised. Locked and deactivated accounts
    cannot sign (the attempt is audited)."""
    signer, failure = _password_checked(user=user, password=password, what="signature")
    if failure is None:
        return
    locked_until = {"locked_until": signer.locked_until.isoformat().replace("+00:00", "Z")} if signer.locked_until else {}
    if failure in ("inactive", "locked"):
        attempt = "by deactivated account" if failure == "inactive" else "on locked account"
        with transaction.atomic():
            account_event(
                AccountAction.SIGNATURE_FAILED,
                actor=signer,
                subject=signer,
                summary=f"Signature attempt {attempt} {signer.username}",
            )
    if failure == "inactive":
        raise SignatureAuthFailed("Signature not applied: the account is deactivated.")
    if failure == "locked":
        raise SignatureAuthFailed(
            "Signature not applied: the account is locked after too many failed attempts.", extra=locked_until
        )
    if failure == "wrong_now_locked":
        raise SignatureAuthFailed(
            "Signature not applied: the password is incorrect and the account is now locked.", extra=locked_until
        )
    raise SignatureAuthFailed()


def _reset_failures(user: User) -> None:
    user.failed_login_count = 0
    user.locked_until = None


def reauthenticate(*, user: User | None, password: str | None, what: str = "this change") -> None:
    """Asks the acting user for their password again before a sensitive change (the system, None,
    is not asked). Call it OUTSIDE any transaction: a wrong password counts toward lockout and is
    audited, and that stays recorded although the caller gets 401 REAUTHENTICATION_FAILED (or
    ACCOUNT_LOCKED)."""
    if user is None:
        return
    if not password:
        raise InvalidInput(f"Your password is required for {what}.", field="password", error_type="value_error.missing")
    checked, failure = _password_checked(user=user, password=password, what="re-authentication")
    if failure in ("locked", "wrong_now_locked"):
        raise AccountLocked(checked.locked_until)
    if failure is not None:
        raise ReauthenticationFailed()


def record_logout(*, user: User) -> None:
    with transaction.atomic():
        account_event(AccountAction.LOGOUT, actor=user, subject=user, summary=f"{user.username} signed out")


def record_session_timeout(*, user: User, idle_seconds: float) -> None:
    """A page session ended after SESSION_IDLE_MINUTES without a request (accounts.middleware)."""
    with transaction.atomic():
        account_event(
            AccountAction.SESSION_TIMEOUT,
            actor=user,
            subject=user,
            summary=f"Session of {user.username} ended after {int(idle_seconds // 60)} minutes without activity",
            new_values={"idle_seconds": int(idle_seconds), "limit_minutes": settings.SESSION_IDLE_MINUTES},
        )


def log_out(*, user: User, refresh_token: str = "") -> None:
    """Signs out of the API: the sign-in of the given refresh token (or, without one, every sign-in
    of the user) is revoked, and so is every access token issued to the user so far (other
    sign-ins refresh to get new ones)."""
    with transaction.atomic():
        if refresh_token:
            payload = _decode(refresh_token)
            if payload is not None and str(payload.get(jwt_settings.USER_ID_CLAIM)) == str(user.pk):
                _revoke_family(user, tokens.family_of(payload))
            _revoke_access_tokens(user)
        else:
            revoke_tokens(user=user)
        account_event(AccountAction.LOGOUT, actor=user, subject=user, summary=f"{user.username} signed out")


def revoke_refresh_tokens(*, user: User) -> int:
    """Blacklists every outstanding refresh token of the user."""
    count = 0
    for token in OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()):
        _, created = BlacklistedToken.objects.get_or_create(token=token)
        count += int(created)
    return count


def revoke_tokens(*, user: User) -> None:
    """Revokes every refresh and access token of the user (deactivation, password change, logout everywhere)."""
    revoke_refresh_tokens(user=user)
    _revoke_access_tokens(user)


def _revoke_access_tokens(user: User) -> None:
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])


def _decode(raw: str) -> dict | None:
    """The payload of a refresh token signed by this server and not expired, else None."""
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendError:
        return None
    return payload if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) == "refresh" else None


def _revoke_family(user: User, family: str) -> int:
    count = 0
    for outstanding in OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    ):
        try:
            payload = token_backend.decode(outstanding.token, verify=False)
        except TokenBackendError:
            continue
        if tokens.family_of(payload) == family:
            BlacklistedToken.objects.get_or_create(token=outstanding)
            count += 1
    return count


class TokenReused(AuthenticationFailed):
    error_code = "TOKEN_REUSED"
    default_detail = (
        "This refresh token was already used. Every token of this sign-in has been revoked as a precaution; sign in again."
    )


def rotate_refresh_token(*, refresh_token: str) -> tuple[User, str]:
    """Exchanges a refresh token for the right to new tokens in the same family; returns the user
    and the family. The presented token is revoked (rotation).

    A refresh token that was already revoked (rotated before, or signed out) being presented again
    means two parties hold it: the whole family is revoked, and the user's access tokens too,
    audited as `token_reuse`, and the caller gets 401 TOKEN_REUSED.
    """
    invalid = AuthenticationFailed("Refresh token is invalid, expired or revoked.", error_code="TOKEN_INVALID")
    payload = _decode(refresh_token)
    if payload is None:
        raise invalid
    with transaction.atomic():
        user, error = _rotate(payload, invalid)
    if error is not None:
        raise error
    return user, tokens.family_of(payload)


def _rotate(payload: dict, invalid: Exception) -> tuple[User | None, Exception | None]:
    user = (
        User.objects.select_for_update(of=("self",))
        .select_related("role")
        .filter(pk=payload.get(jwt_settings.USER_ID_CLAIM))
        .first()
    )
    outstanding = OutstandingToken.objects.filter(jti=payload.get("jti")).first()
    if user is None or outstanding is None or not token_matches_password(payload, user):
        return None, invalid
    if not user.is_active:
        return None, AuthenticationFailed("User account is deactivated.", error_code="USER_INACTIVE")
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        family = tokens.family_of(payload)
        revoked = _revoke_family(user, family)
        _revoke_access_tokens(user)
        account_event(
            AccountAction.TOKEN_REUSE,
            subject=user,
            summary=f"A revoked refresh token of {user.username} was presented again: its sign-in "
            f"({revoked} newer refresh token{'s' if revoked != 1 else ''}) and all access tokens revoked",
            new_values={"family": family, "revoked_refresh_tokens": revoked},
            username=user.username,
        )
        return None, TokenReused()
    BlacklistedToken.objects.create(token=outstanding)
    return user, None


# --- administrators -------------------------------------------------------------------------------


def _lock_administration() -> bool:
    """Serialises the changes that could remove the last administrator (taken first in their
    transaction, so two of them never deadlock and never both see the other's admin still there);
    returns whether an administrator exists before the change."""
    list(Permission.objects.select_for_update().filter(codename__in=ADMINISTRATION_PERMISSIONS).order_by("pk"))
    return administrators_exist()


def administrators_exist() -> bool:
    """Whether an active user effectively holds every ADMINISTRATION_PERMISSIONS codename."""
    from .selectors import effective_permissions_for

    candidates = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True)
        | Q(role__permissions__codename__in=ADMINISTRATION_PERMISSIONS)
        | Q(
            permission_overrides__permission__codename__in=ADMINISTRATION_PERMISSIONS,
            permission_overrides__effect=UserPermissionOverride.GRANT,
        )
    )
    for user in candidates.distinct().order_by("pk"):
        if user.is_superuser or set(ADMINISTRATION_PERMISSIONS) <= effective_permissions_for(user):
            return True
    return False


def _ensure_an_administrator_remains(had_administrators: bool) -> None:
    if had_administrators and not administrators_exist():
        raise Conflict(
            "Refused: afterwards no active user would hold " + " and ".join(ADMINISTRATION_PERMISSIONS) + ", so nobody "
            "could administer accounts any more. Give another active user these permissions first.",
            error_code="LAST_ADMIN",
        )


def unlock_user(*, user: User, actor: User, reason: str = "") -> User:
    require(actor, "users.manage")
    reason = require_reason(reason, what="unlocking an account")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = user.locked_until
        _reset_failures(user)
        user.save(update_fields=["failed_login_count", "locked_until"])
        account_event(
            RecordAction.UPDATE,
            actor=actor,
            subject=user,
            summary=f"{actor.username if actor else 'The system'} unlocked {user.username}",
            old_values={"locked_until": old.isoformat() if old else None},
            new_values={"locked_until": None},
            reason=reason,
        )
    return user


# --- passwords ------------------------------------------------------------------------------------


def validate_new_password(password: str, *, user: User | None = None, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise PasswordRejected(field, exc.messages) from exc


class PasswordRejected(InvalidInput):
    """Carries every password rule that failed."""

    def __init__(self, field: str, messages: list[str]):
        super().__init__(" ".join(messages), field=field, error_type="value_error.password")
        self.messages = messages


def change_password(*, user: User, current_password: str, new_password: str) -> User:
    if user.is_locked():  # no password guessing through this door either
        raise AccountLocked(user.locked_until)
    if not user.check_password(current_password):
        with transaction.atomic():
            register_failed_attempt(user=User.objects.select_for_update().get(pk=user.pk), what="password change")
        raise AuthenticationFailed("The current password is incorrect.", error_code="INVALID_CURRENT_PASSWORD")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if current_password == new_password:
            raise InvalidInput("The new password must differ from the current one.", field="new_password")
        validate_new_password(new_password, user=user, field="new_password")
        required = user.password_change_reason()
        _store_password(user, new_password, change_required=False)
        _reset_failures(user)
        user.save(update_fields=["failed_login_count", "locked_until"])
        revoke_tokens(user=user)
        account_event(
            AccountAction.PASSWORD_CHANGE,
            actor=user,
            subject=user,
            summary=f"{user.username} changed their password"
            + (f" (required: {required.replace('_', ' ')})" if required else ""),
            old_values={"password_change_required": required} if required else None,
        )
    return user


def _store_password(user: User, raw_password: str, *, change_required: bool) -> None:
    """Sets, dates and remembers (PASSWORD_HISTORY) a new password; inside the caller's transaction."""
    user.set_password(raw_password)
    user.password_changed_at = timezone.now().replace(microsecond=0)
    user.password_change_required = change_required
    user.row_version += 1
    user.save(update_fields=["password", "password_changed_at", "password_change_required", "row_version"])
    remember_password(user)


def set_password(*, actor: User | None, user: User, new_password: str, reason: str = "", password: str | None = None) -> User:
    """An administrator sets another user's password (e.g. a forgotten one). The holder must change
    it at first use; every token of theirs is revoked. Needs users.manage, a reason and the
    administrator's own password."""
    require(actor, "users.manage")
    if actor is not None and actor.pk == user.pk:
        raise Conflict("Change your own password with your current password instead.", error_code="OWN_PASSWORD")
    reason = require_reason(reason, what="setting another user's password")
    reauthenticate(user=actor, password=password, what="setting another user's password")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        validate_new_password(new_password, user=user, field="new_password")
        _store_password(user, new_password, change_required=True)
        revoke_tokens(user=user)
        account_event(
            AccountAction.PASSWORD_RESET,
            actor=actor,
            subject=user,
            summary=f"Password of {user.username} set by {actor.username if actor else 'the system'}; to be changed at first use",
            new_values={"password_change_required": True},
            reason=reason,
        )
    return user


def require_password_change(*, actor: User | None, user: User, reason: str = "") -> User:
    """Makes the holder change their password at next use (e.g. accounts imported with a password
    someone else chose, or created with createsuperuser for another person)."""
    require(actor, "users.manage")
    reason = require_reason(reason, what="requiring a password change")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.password_change_required:
            return user
        user.password_change_required = True
        user.row_version += 1
        user.save(update_fields=["password_change_required", "row_version"])
        account_event(
            AccountAction.PASSWORD_CHANGE_REQUIRED,
            actor=actor,
            subject=user,
            summary=f"{user.username} must change their password at next use",
            old_values={"password_change_required": False},
            new_values={"password_change_required": True},
            reason=reason,
        )
    return user


# --- users --------------------------------------------------------------------------------------------


def _role_changes(user: User, name: str | None) -> bool:
    current = user.role.name.lower() if user.role_id else None
    return current != (name.lower() if name else None)


def _role_by_name(name: str | None, field: str = "role") -> Role | None:
    if name in (None, ""):
        return None
    role = Role.objects.filter(name__iexact=name).first()
    if role is None:
        choices = ", ".join(Role.objects.values_list("name", flat=True))
        raise InvalidInput(f"Unknown role {name!r}. Choose one of: {choices}.", field=field)
    return role


def create_user(
    *,
    actor: User | None,
    username: str,
    email: str,
    password: str | None,
    full_name: str = "",
    role: str | None = None,
    department: str = "",
    office_location: str = "",
    is_active: bool = True,
    is_staff: bool = False,
    via: str = "admin",
    password_change_required: bool | None = None,
) -> User:
    """A new account. A password chosen by someone else than its holder (`via` "admin" or "import")
    must be changed at first use unless `password_change_required=False` says otherwise.

    `password` None (imports, which never carry passwords) gives an unusable password: nobody can
    sign in to the account until an administrator sets a first password (set_password), which the
    holder must change at first use."""
    if password is None and via == "register":
        raise InvalidInput("A password is required.", field="password", error_type="value_error.missing")
    if password_change_required is None:
        password_change_required = via != "register"
    if via != "register":
        require(actor, "users.manage")
        if role or is_staff:
            require(
                actor, "roles.manage", detail="Giving a new user a role or admin-site access needs the 'roles.manage' permission."
            )
    role_obj = _role_by_name(role) if role else None
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(f"A user named {username!r} already exists.", error_code="USERNAME_TAKEN")
        if email and User.objects.filter(email__iexact=email).exists():
            raise Conflict(f"A user with email {email!r} already exists.", error_code="EMAIL_TAKEN")
        candidate = User(username=username, email=email or None, full_name=full_name)
        if password is not None:
            validate_new_password(password, user=candidate)
        try:
            user = User.objects.create_user(
                username=username,
                email=email or None,
                password=password,
                full_name=full_name,
                role=role_obj,
                department=department,
                office_location=office_location,
                is_active=is_active,
                is_staff=is_staff,
                password_change_required=password_change_required,
                password_changed_at=timezone.now().replace(microsecond=0) if password is not None else None,
            )
        except IntegrityError as exc:
            raise Conflict("A user with that username or email already exists.", error_code="USER_EXISTS") from exc
        if user.has_usable_password():
            remember_password(user)
        account_event(
            RecordAction.CREATE,
            actor=actor or user,
            subject=user,
            summary=f"User {user.username} created"
            + {"register": " by self-registration", "import": " by import (no password: an administrator sets a first one)"}.get(
                via, ""
            ),
            new_values=user.audit_snapshot(),
        )
        emit(
            UserEvent.CREATED,
            user,
            actor=actor or user,
            data={"username": user.username, "role": user.role.name if user.role_id else None, "via": via},
        )
    return user


def ensure_registration_enabled() -> None:
    if not settings.REGISTRATION_ENABLED:
        raise PermissionDenied(
            "Self-registration is disabled. Ask an administrator for an account.", error_code="REGISTRATION_DISABLED"
        )


def register_user(*, username: str, email: str, password: str, full_name: str = "") -> User:
    ensure_registration_enabled()
    return create_user(
        actor=None,
        username=username,
        email=email,
        password=password,
        full_name=full_name,
        role=settings.REGISTRATION_DEFAULT_ROLE,
        via="register",
    )


PROFILE_FIELDS = ("full_name", "email", "department", "office_location")
ADMIN_FIELDS = ("role", "is_active", "is_staff")
ACCESS_FIELDS = ("role", "is_staff")  # changing these needs roles.manage and is a permission_change


def update_user(
    *,
    actor: User | None,
    user: User,
    changes: dict,
    reason: str = "",
    row_version: int | None = None,
    password: str | None = None,
) -> User:
    """Profile fields by the user themself or a user manager; role and activity by a user manager only.

    A change of role re-authenticates the actor (`password`), and no change may leave the system
    without an active administrator (409 LAST_ADMIN).
    """
    is_manager = has(actor, "users.manage")
    if not (actor is not None and actor.pk == user.pk) and not is_manager:
        raise PermissionDenied("You may only change your own profile.")
    admin_changes = set(changes) & set(ADMIN_FIELDS)
    if admin_changes and not is_manager:
        raise PermissionDenied(f"Only a user administrator may change: {', '.join(sorted(admin_changes))}.")
    for field in set(changes) & set(ACCESS_FIELDS):
        require(actor, "roles.manage", detail=f"Changing a user's {field.replace('_', ' ')} needs the 'roles.manage' permission.")
    if "role" in changes and _role_changes(user, changes["role"]):
        require_reason(reason, what="changing a user's role")
        reauthenticate(user=actor, password=password, what="changing a user's role")
    with transaction.atomic():
        had_administrators = _lock_administration() if set(changes) & {"role", "is_active"} else False
        user = User.objects.select_for_update(of=("self",)).select_related("role").get(pk=user.pk)
        check_row_version(user, row_version)
        before = user.audit_snapshot()
        if "email" in changes and changes["email"]:
            if User.objects.filter(email__iexact=changes["email"]).exclude(pk=user.pk).exists():
                raise Conflict(f"A user with email {changes['email']!r} already exists.", error_code="EMAIL_TAKEN")
        for field in PROFILE_FIELDS:
            if field in changes:
                setattr(user, field, changes[field] if field != "email" else (changes[field] or None))
        if "role" in changes:
            user.role = _role_by_name(changes["role"])
        if "is_staff" in changes:
            user.is_staff = bool(changes["is_staff"])
        if "is_active" in changes and changes["is_active"] != user.is_active:
            if not changes["is_active"] and actor is not None and user.pk == actor.pk:
                raise Conflict("You cannot deactivate your own account.", error_code="SELF_DEACTIVATION")
            user.is_active = changes["is_active"]
            user.deactivated_at = None if user.is_active else timezone.now()
            if user.is_active:
                user.reactivated_at = timezone.now()  # restarts the ACCOUNT_INACTIVITY_DAYS clock
        changed = set(changed_fields(user, before))
        if not changed:
            return user
        if changed & set(REASON_REQUIRED_USER_FIELDS):
            reason = require_reason(reason, what=f"changing {', '.join(sorted(changed & set(REASON_REQUIRED_USER_FIELDS)))}")
        user.row_version += 1
        user.save()
        if changed & {"role", "is_active"}:
            _ensure_an_administrator_remains(had_administrators)
        if not user.is_active:
            revoke_tokens(user=user)
        action = AccountAction.PERMISSION_CHANGE if changed & set(ACCESS_FIELDS) else RecordAction.UPDATE
        account_change(
            action,
            actor=actor,
            subject=user,
            before=before,
            summary=f"User {user.username} updated ({', '.join(sorted(changed))})",
            reason=reason,
        )
        if "is_active" in changed:
            emit(UserEvent.REACTIVATED if user.is_active else UserEvent.DEACTIVATED, user, actor=actor, data={"reason": reason})
    return user


def deactivate_user(*, actor: User | None, user: User, reason: str = "") -> User:
    require(actor, "users.manage")
    if actor is not None and user.pk == actor.pk:
        raise Conflict("You cannot deactivate your own account.", error_code="SELF_DEACTIVATION")
    reason = require_reason(reason, what="deactivating an account")
    return _deactivate(
        user, actor=actor, action=AccountAction.DEACTIVATE, summary=f"User {user.username} deactivated", reason=reason
    )


def _deactivate(
    user: User, *, actor: User | None, action, summary: str, reason: str, now=None, details: dict | None = None
) -> User:
    """Deactivates in one transaction: never the last administrator (409 LAST_ADMIN), tokens revoked,
    audited as `action`, `user.deactivated` emitted. An inactive account is left as it is."""
    with transaction.atomic():
        had_administrators = _lock_administration()
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            return user
        user.is_active = False
        user.deactivated_at = now or timezone.now()
        user.row_version += 1
        user.save(update_fields=["is_active", "deactivated_at", "row_version"])
        _ensure_an_administrator_remains(had_administrators)
        revoke_tokens(user=user)
        account_event(
            action,
            actor=actor,
            subject=user,
            summary=summary,
            old_values={"is_active": True},
            new_values={"is_active": False, **(details or {})},
            reason=reason,
        )
        emit(UserEvent.DEACTIVATED, user, actor=actor, data={"reason": reason})
    return user


def set_user_role(*, actor: User | None, user: User, role: str | None, reason: str = "", password: str | None = None) -> User:
    return update_user(actor=actor, user=user, changes={"role": role}, reason=reason, password=password)


def set_permission_override(*, actor: User, user: User, codename: str, effect: str, reason: str = "") -> UserPermissionOverride:
    require(actor, "roles.manage")
    reason = require_reason(reason, what="granting or revoking a permission")
    if effect not in (UserPermissionOverride.GRANT, UserPermissionOverride.REVOKE):
        raise InvalidInput("effect must be 'grant' or 'revoke'.", field="effect")
    perm = Permission.objects.filter(codename=codename).first()
    if perm is None:
        raise InvalidInput(f"Unknown permission {codename!r}.", field="codename")
    with transaction.atomic():
        had_administrators = _lock_administration()
        existing = UserPermissionOverride.objects.select_for_update().filter(user=user, permission=perm).first()
        old = existing.effect if existing else None
        override, _ = UserPermissionOverride.objects.update_or_create(
            user=user, permission=perm, defaults={"effect": effect, "reason": reason, "created_by": actor}
        )
        _ensure_an_administrator_remains(had_administrators)
        account_event(
            AccountAction.PERMISSION_CHANGE,
            actor=actor,
            subject=user,
            summary=f"{effect.capitalize()} {codename} for {user.username}",
            old_values={codename: old},
            new_values={codename: effect},
            reason=reason,
        )
    return override


def remove_permission_override(*, actor: User, user: User, codename: str, reason: str = "") -> None:
    require(actor, "roles.manage")
    reason = require_reason(reason, what="removing a grant or revocation")
    with transaction.atomic():
        had_administrators = _lock_administration()
        override = UserPermissionOverride.objects.select_for_update().filter(user=user, permission__codename=codename).first()
        if override is None:
            raise NotFound(f"{user.username} has no grant or revocation of {codename!r}.")
        old = override.effect
        override.delete()
        _ensure_an_administrator_remains(had_administrators)
        account_event(
            AccountAction.PERMISSION_CHANGE,
            actor=actor,
            subject=user,
            summary=f"Removed {old} of {codename} for {user.username}",
            old_values={codename: old},
            new_values={codename: None},
            reason=reason,
        )


def _known_codenames(codenames: list[str]) -> dict[str, int]:
    known = dict(Permission.objects.filter(codename__in=codenames).values_list("codename", "pk"))
    unknown = sorted(set(codenames) - set(known))
    if unknown:
        raise InvalidInput(f"Unknown permissions: {', '.join(unknown)}.", field="permissions")
    return known


def _check_name_free(model: type[Role] | type[Group], name: str, *, exclude_pk: int | None = None) -> None:
    """409 ROLE_EXISTS or GROUP_EXISTS when another role or group already has `name` (in any case)."""
    kind = model._meta.model_name
    if model.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise Conflict(f"A {kind} named {name!r} already exists.", error_code=f"{kind.upper()}_EXISTS")


def create_role(*, actor: User, name: str, description: str = "", codenames: list[str] | None = None, reason: str = "") -> Role:
    require(actor, "roles.manage")
    known = _known_codenames(codenames or [])
    with transaction.atomic():
        _check_name_free(Role, name)
        role = Role.objects.create(name=name, description=description)
        role.permissions.set(known.values())
        account_event(
            RecordAction.CREATE,
            actor=actor,
            subject=role,
            summary=f"Role {name} created",
            new_values={"name": name, "description": description, "permissions": sorted(known)},
            reason=reason,
        )
    return role


def update_role(*, actor: User, role: Role, changes: dict, reason: str = "") -> Role:
    """Renames or re-describes a role (its permissions change through set_role_permissions)."""
    require(actor, "roles.manage")
    with transaction.atomic():
        role = Role.objects.select_for_update().get(pk=role.pk)
        before = role.audit_snapshot()
        name = changes.get("name", role.name)
        _check_name_free(Role, name, exclude_pk=role.pk)
        for field in ("name", "description"):
            if field in changes:
                setattr(role, field, changes[field])
        changed = changed_fields(role, before)
        if changed:
            role.save(update_fields=[*changed, "updated_at"])
            account_change(
                RecordAction.UPDATE,
                actor=actor,
                subject=role,
                before=before,
                summary=f"Role {before['name']} updated ({', '.join(changed)})",
                reason=reason,
            )
    return role


def set_role_permissions(
    *, actor: User | None, role: Role, codenames: list[str], reason: str = "", password: str | None = None
) -> Role:
    """Replaces a role's permission set. A change needs a reason and re-authenticates the actor
    (`password`); it may not leave the system without an active administrator (409 LAST_ADMIN)."""
    require(actor, "roles.manage")
    known = _known_codenames(codenames)
    if sorted(known) != sorted(role.permissions.values_list("codename", flat=True)):
        require_reason(reason, what="changing a role's permissions")
        reauthenticate(user=actor, password=password, what="changing a role's permissions")
    with transaction.atomic():
        had_administrators = _lock_administration()
        role = Role.objects.select_for_update().get(pk=role.pk)
        before = sorted(role.permissions.values_list("codename", flat=True))
        role.permissions.set(known.values())
        after = sorted(known)
        if before != after:
            reason = require_reason(reason, what="changing a role's permissions")
            _ensure_an_administrator_remains(had_administrators)
            role.save(update_fields=["updated_at"])
            account_event(
                AccountAction.PERMISSION_CHANGE,
                actor=actor,
                subject=role,
                summary=f"Permissions of role {role.name} changed: +{sorted(set(after) - set(before))} "
                f"-{sorted(set(before) - set(after))}",
                old_values={"permissions": before},
                new_values={"permissions": after},
                reason=reason,
            )
    return role


# --- groups ------------------------------------------------------------------------------------------


def create_group(*, actor: User, name: str, description: str = "", member_ids: list[int] | None = None) -> Group:
    require(actor, "groups.manage")
    with transaction.atomic():
        _check_name_free(Group, name)
        group = Group.objects.create(name=name, description=description, created_by=actor)
        members = _users_by_ids(member_ids or [])
        group.members.set(members)
        account_event(
            RecordAction.CREATE,
            actor=actor,
            subject=group,
            summary=f"Group {name} created",
            new_values={"name": name, "description": description, "members": sorted(u.username for u in members)},
        )
    return group


def update_group(*, actor: User, group: Group, changes: dict, reason: str = "") -> Group:
    require(actor, "groups.manage")
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        before = group.audit_snapshot()
        if "name" in changes:
            _check_name_free(Group, changes["name"], exclude_pk=group.pk)
        for field in ("name", "description"):
            if field in changes:
                setattr(group, field, changes[field])
        if changed_fields(group, before):
            group.save()
            account_change(
                RecordAction.UPDATE,
                actor=actor,
                subject=group,
                before=before,
                summary=f"Group {group.name} updated",
                reason=reason,
            )
    return group


def delete_group(*, actor: User, group: Group, reason: str = "") -> None:
    require(actor, "groups.manage")
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        snapshot = {
            "name": group.name,
            "description": group.description,
            "members": sorted(group.members.values_list("username", flat=True)),
        }
        account_event(
            RecordAction.DELETE,
            actor=actor,
            subject=group,
            summary=f"Group {group.name} deleted",
            old_values=snapshot,
            reason=reason,
        )
        group.delete()


def add_group_member(*, actor: User, group: Group, user_id: int) -> Group:
    require(actor, "groups.manage")
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        user = _users_by_ids([user_id], field="user_id")[0]
        if group.members.filter(pk=user.pk).exists():
            raise Conflict(f"{user.username} is already a member of {group.name}.", error_code="ALREADY_MEMBER")
        group.members.add(user)
        account_event(
            RecordAction.UPDATE,
            actor=actor,
            subject=group,
            summary=f"{user.username} added to group {group.name}",
            new_values={"member_added": user.username},
        )
    return group


def remove_group_member(*, actor: User, group: Group, user_id: int) -> Group:
    require(actor, "groups.manage")
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        user = group.members.filter(pk=user_id).first()
        if user is None:
            raise NotFound(f"User {user_id} is not a member of {group.name}.")
        group.members.remove(user)
        account_event(
            RecordAction.UPDATE,
            actor=actor,
            subject=group,
            summary=f"{user.username} removed from group {group.name}",
            old_values={"member_removed": user.username},
        )
    return group


def _users_by_ids(ids: list[int], field: str = "member_ids") -> list[User]:
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    missing = sorted(set(ids) - {u.pk for u in users})
    if missing:
        raise InvalidInput(f"Unknown or inactive users: {', '.join(map(str, missing))}.", field=field)
    return users


# --- inactivity (EU GMP Annex 11 §12, 21 CFR 11.300(b)) ------------------------------------------------


def disable_inactive_accounts(*, now=None, dry_run: bool = False) -> list[User]:
    """Deactivates every account unused for ACCOUNT_INACTIVITY_DAYS (the daily beat job
    accounts.tasks.disable_inactive_accounts, or `manage.py disable_inactive_accounts`), each in its
    own transaction, by the system (actor None) with the reason in the audit trail. An administrator
    reactivates one with a reason (update_user `is_active`), which restarts its clock. The last
    administrator is left active (LAST_ADMIN). Returns the accounts disabled (with dry_run: that
    would be)."""
    from .selectors import inactive_accounts

    now = now or timezone.now()
    days = settings.ACCOUNT_INACTIVITY_DAYS
    candidates = list(inactive_accounts(now=now))
    if dry_run:
        return candidates
    disabled = []
    for candidate in candidates:
        reason = f"Not used for more than {days} days (last use {candidate.last_use:%Y-%m-%d %H:%M} UTC)"
        try:
            user = _deactivate(
                candidate,
                actor=None,
                action=AccountAction.INACTIVITY_DEACTIVATION,
                summary=f"User {candidate.username} disabled after {days} days without use",
                reason=reason,
                now=now,
                details={"last_use": candidate.last_use},
            )
        except Conflict as exc:
            logger.warning("Inactive account %s left active: %s", candidate.username, exc.detail)
            continue
        disabled.append(user)
    return disabled
