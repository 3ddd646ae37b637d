"""JSON Web Tokens: issued per sign-in as a refresh token and an access token.

Every token carries two claims besides simplejwt's:

- `ver`: the user's `token_version` when it was issued. Logout, logout everywhere, deactivation,
  a password change and a detected refresh-token theft increment it in the database, so every
  access token issued before stops working at once (checked by ActiveUserJWTAuthentication,
  without the cache: it holds when Redis is down).
- `fam`: the token family, the id of the first refresh token of a sign-in. Rotation keeps it; a
  rotated (revoked) refresh token presented again revokes the whole family (accounts.services).
"""

from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

TOKEN_VERSION_CLAIM = "ver"
FAMILY_CLAIM = "fam"


def issue_tokens(user, *, family: str | None = None) -> RefreshToken:
    """A new refresh token for `user` (its `.access_token` is the matching access token), in
    `family` (a new family when None)."""
    refresh = RefreshToken.for_user(user)
    refresh[FAMILY_CLAIM] = family or refresh["jti"]
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    # The outstanding-token row was written before the claims were added: keep the full token.
    OutstandingToken.objects.filter(jti=refresh["jti"]).update(token=str(refresh))
    return refresh


def family_of(payload: dict) -> str:
    """The family of a decoded refresh token (tokens issued without the claim are their own family)."""
    return str(payload.get(FAMILY_CLAIM) or payload.get("jti") or "")


def version_of(payload) -> int:
    """The token_version a token was issued under (0 for tokens issued without the claim)."""
    try:
        return int(payload.get(TOKEN_VERSION_CLAIM, 0))
    except (TypeError, ValueError):
        return -1
