"""JWT authentication that refuses deactivated users' still-valid tokens."""

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed


class ActiveUserJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not user.is_active:
            raise AuthenticationFailed("User account is deactivated.", code="user_inactive")
        issued_at = validated_token.get("iat")
        changed = user.password_changed_at
        if issued_at and changed and int(changed.timestamp()) > int(issued_at):
            raise AuthenticationFailed("Token was issued before the last password change.", code="token_stale")
        return user
