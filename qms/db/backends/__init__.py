"""Django's PostgreSQL and SQLite engines with a pre-commit hook (see qms.db.before_commit)."""
