"""PostgreSQL (psycopg) with the pre-commit hook of qms.db."""

from django.db.backends.postgresql import base

from ..hooks import BeforeCommitMixin


class DatabaseWrapper(BeforeCommitMixin, base.DatabaseWrapper):
    pass
