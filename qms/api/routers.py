"""Router accepting paths with or without a trailing slash (`/api/users/5` and `/api/users/5/`)."""

from rest_framework.routers import SimpleRouter

_COLLECTIONS: set[str] = set()


class Router(SimpleRouter):
    def __init__(self, prefix: str = "/api/"):
        super().__init__(trailing_slash=True)
        self.trailing_slash = "/?"
        self.url_prefix = prefix

    def register(self, prefix, viewset, basename=None):
        _COLLECTIONS.add(f"{self.url_prefix}{prefix}/")
        super().register(prefix, viewset, basename)


def publish_with_slash(path: str) -> None:
    """A non-router endpoint whose schema path keeps its trailing slash, as the contract writes it
    (e.g. `/api/search/`)."""
    _COLLECTIONS.add(path)


def collection_paths() -> set[str]:
    return set(_COLLECTIONS)
