"""Authentication by username or email, case-insensitively. Lockout is enforced by services."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user_by_login(username)
        if user is None:
            User().set_password(password)  # same cost as a real check: no user enumeration by timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("role").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    # Permissions live on the user model (role ∪ grants − revocations), not in auth.Permission.
    def has_perm(self, user_obj, perm, obj=None):
        return False


def find_user_by_login(login: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    return User.objects.select_related("role").filter(Q(username__iexact=login) | Q(email__iexact=login)).order_by("pk").first()
