"""JWT authentication that refuses deactivated users and revoked tokens.

Every token carries a fingerprint of the password hash (simplejwt's CHECK_REVOKE_TOKEN claim),
so changing the password invalidates every access token issued before, and the user's
`token_version` (accounts.tokens), so logout, deactivation and a detected token theft revoke
every access token issued before. Both are checked against the user row, not the cache.
"""

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from .selectors import user_with_permissions
from .tokens import version_of


class ActiveUserJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        """simplejwt's checks, with the user read together with its effective permissions (one query)."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = user_with_permissions(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and not token_matches_password(validated_token, user):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        if version_of(validated_token) != user.token_version:
            raise AuthenticationFailed("Token has been revoked (signed out).", code="token_revoked")
        return user


def token_matches_password(token, user) -> bool:
    """False when the token was issued before the user's last password change."""
    return token.get(api_settings.REVOKE_TOKEN_CLAIM) == get_md5_hash_password(user.password)
