"""Permission codenames of search (collected by accounts.catalog)."""

PERMISSIONS: dict[str, str] = {
    "search.use": "Search documents and records",
}
