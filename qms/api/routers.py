"""The API router: paths with or without a trailing slash (`/api/users/5` and `/api/users/5/`), and
numeric record ids.

Every route's `{id}` matches digits only (a ViewSet may set its own `lookup_value_regex`), so
`/api/users/abc` and `/api/documents/x/approve` are a JSON 404 and never reach a database lookup.
"""

from rest_framework.routers import SimpleRouter

_COLLECTIONS: set[str] = set()

DEFAULT_LOOKUP_REGEX = r"[0-9]+"


class Router(SimpleRouter):
    def __init__(self, prefix: str = "/api/"):
        super().__init__(trailing_slash=True)
        self.trailing_slash = "/?"
        self.url_prefix = prefix

    def register(self, prefix, viewset, basename=None):
        _COLLECTIONS.add(f"{self.url_prefix}{prefix}/")
        super().register(prefix, viewset, basename)

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        lookup_value = getattr(viewset, "lookup_value_regex", None) or DEFAULT_LOOKUP_REGEX
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{lookup_value})"


def publish_with_slash(path: str) -> None:
    """A non-router endpoint whose schema path keeps its trailing slash, as the contract writes it
    (e.g. `/api/search/`)."""
    _COLLECTIONS.add(path)


def collection_paths() -> set[str]:
    return set(_COLLECTIONS)
