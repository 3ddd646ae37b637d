"""Users, roles, permission codenames, per-user grants and revocations, and groups."""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone

from audit.changes import AuditedFieldsMixin


class Permission(models.Model):
    """A named capability such as `documents.approve`."""

    codename = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255)
    domain = models.CharField(max_length=50, db_index=True)

    class Meta:
        ordering = ["codename"]

    def __str__(self) -> str:
        return self.codename


class Role(AuditedFieldsMixin, models.Model):
    audit_fields = ["name", "description"]

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    permissions = models.ManyToManyField(Permission, related_name="roles", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet):
    def delete(self):
        raise UserDeletionRefused()


class UserDeletionRefused(Exception):
    """Accounts are deactivated, never deleted: their ids and usernames stay taken for good, so a
    record in the audit trail always names one person (21 CFR 11.300(a))."""

    def __init__(self):
        super().__init__("User accounts are never deleted; deactivate the account instead.")


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, username, email, password, **extra):
        if not username:
            raise ValueError("A username is required.")
        email = self.normalize_email(email or "")
        user = self.model(username=username, email=email or None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, username, email=None, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra)

    def create_superuser(self, username, email=None, password=None, **extra):
        """Used by `manage.py createsuperuser`; the new superuser is recorded in the audit trail.
        `password_change_required=True` (createsuperuser --for-someone-else) makes its holder choose
        their own password at first use."""
        from django.db import transaction

        from audit.actions import RecordAction

        from .events import account_event
        from .passwords import remember_password

        extra.update(is_staff=True, is_superuser=True)
        if "role" not in extra:
            extra["role"] = Role.objects.filter(name="Admin").first()
        with transaction.atomic(using=self._db):
            user = self._create_user(username, email, password, **extra)
            remember_password(user)
            account_event(
                RecordAction.CREATE,
                subject=user,
                username="createsuperuser",
                summary=f"Superuser {user.username} created (manage.py createsuperuser)",
                new_values={
                    "username": user.username,
                    "email": user.email,
                    "role": user.role.name if user.role_id else None,
                    "is_staff": True,
                    "is_superuser": True,
                    "password_change_required": user.password_change_required,
                },
            )
        return user

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AuditedFieldsMixin, AbstractBaseUser):
    """A person who signs in. Never deleted: deactivation keeps the row for the audit trail."""

    # What an update records (the role by its name).
    audit_fields = [
        "username",
        "email",
        "full_name",
        "role",
        "department",
        "office_location",
        "is_active",
        "is_staff",
        "password_change_required",
    ]

    username = models.CharField(max_length=150, unique=True, validators=[UnicodeUsernameValidator()])
    email = models.EmailField(unique=True, null=True, blank=True)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    department = models.CharField(max_length=150, blank=True)
    office_location = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the administration site.")
    is_superuser = models.BooleanField(default=False, help_text="Holds every permission.")
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # Set when someone else chose the password (an administrator, an import, createsuperuser for
    # another person): until its holder changes it, the account can do nothing else (11.300).
    password_change_required = models.BooleanField(default=False)
    # Reactivation restarts the clock of ACCOUNT_INACTIVITY_DAYS (accounts.inactivity).
    reactivated_at = models.DateTimeField(null=True, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    row_version = models.PositiveIntegerField(default=1)
    # Incremented to revoke every access token issued so far (see accounts.tokens).
    token_version = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.username

    def delete(self, *args, **kwargs):
        raise UserDeletionRefused()

    # --- password policy (accounts.passwords) ----------------------------------------------------
    def password_change_reason(self, now=None) -> str | None:
        """Why the holder must change their password before doing anything else: "first_use",
        "expired", or None."""
        from .passwords import change_reason

        return change_reason(self, now)

    # --- lockout -----------------------------------------------------------------------------
    def is_locked(self, now=None) -> bool:
        return bool(self.locked_until and self.locked_until > (now or timezone.now()))

    # --- permissions ---------------------------------------------------------------------------
    @property
    def effective_permissions(self) -> frozenset[str]:
        """Role ∪ grants − revocations, computed once per user object (so once per request)."""
        cached = getattr(self, "_effective_permissions", None)
        if cached is None:
            from .selectors import effective_permissions_for

            cached = effective_permissions_for(self)
            self._effective_permissions = cached
        return cached

    def has_qms_permission(self, codename: str) -> bool:
        if not self.is_active:
            return False
        return self.is_superuser or codename in self.effective_permissions

    # Django admin integration: the admin site is for holders of `system.admin`; auditors see
    # records read-only through the view permissions.
    def has_perm(self, perm: str, obj=None) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        if perm in self.effective_permissions:
            return True
        if self.has_qms_permission("system.admin"):
            return True
        action = perm.split(".", 1)[-1].split("_", 1)[0]
        return action == "view" and self.has_qms_permission("audit.view") and self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and (
            self.is_superuser
            or self.has_qms_permission("system.admin")
            or (self.is_staff and self.has_qms_permission("audit.view"))
        )


class UserPermissionOverride(models.Model):
    """A single codename granted to or revoked from one user, on top of their role."""

    GRANT = "grant"
    REVOKE = "revoke"
    EFFECT_CHOICES = [(GRANT, "Grant"), (REVOKE, "Revoke")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="permission_overrides")
    permission = models.ForeignKey(Permission, on_delete=models.CASCADE, related_name="overrides")
    effect = models.CharField(max_length=10, choices=EFFECT_CHOICES)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "permission"], name="unique_user_permission_override")]
        ordering = ["user_id", "permission__codename"]

    def __str__(self) -> str:
        return f"{self.effect} {self.permission} for {self.user}"


class PasswordHistory(models.Model):
    """A password hash the user had (PASSWORD_HISTORY: the latest ones may not be chosen again)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "password history"

    def __str__(self) -> str:
        return f"password of {self.user_id} set {self.created_at:%Y-%m-%d}"


class Group(AuditedFieldsMixin, models.Model):
    """A set of users, for training assignments and reporting (not a permission carrier)."""

    audit_fields = ["name", "description"]

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="groups", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
