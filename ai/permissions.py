"""Permission codenames of the AI assistant (collected by accounts.catalog)."""

PERMISSIONS: dict[str, str] = {
    "ai.use": "Use the AI assistant",
}
