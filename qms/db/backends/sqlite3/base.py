"""SQLite with the pre-commit hook of qms.db."""

from django.db.backends.sqlite3 import base

from ..hooks import BeforeCommitMixin


class DatabaseWrapper(BeforeCommitMixin, base.DatabaseWrapper):
    pass
