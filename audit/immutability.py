"""Database triggers that make the audit trail and the signatures append-only.

PostgreSQL: a row trigger rejects UPDATE and DELETE and a statement trigger rejects TRUNCATE.
SQLite: row triggers reject UPDATE and DELETE (SQLite has no TRUNCATE; `DELETE FROM t` fires the
trigger). Installed by migration 0002. Only a database owner or superuser can get past them,
by disabling or dropping the triggers; that leaves the hash chain to reveal any change.
"""

from contextlib import contextmanager

from django.db import transaction

PROTECTED_TABLES = ["audit_auditevent", "audit_signature"]
PG_FUNCTION = "audit_reject_change"


def _pg_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
    ]


def _sqlite_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} is not allowed'); END"
        for op in ("UPDATE", "DELETE")
    ]


def _sqlite_uninstall(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_{op}" for op in ("update", "delete")]


def install_sql(vendor: str, tables=PROTECTED_TABLES) -> list[str]:
    if vendor == "postgresql":
        function = (
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END; $$"
        )
        return [function] + [sql for table in tables for sql in _pg_install(table)]
    if vendor == "sqlite":
        return [sql for table in tables for sql in _sqlite_install(table)]
    return []


def uninstall_sql(vendor: str, tables=PROTECTED_TABLES) -> list[str]:
    if vendor == "postgresql":
        drops = [
            f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}"
            for table in tables
            for name in ("no_update_delete", "no_truncate")
        ]
        return drops + [f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"]
    if vendor == "sqlite":
        return [sql for table in tables for sql in _sqlite_uninstall(table)]
    return []


@contextmanager
def suspended(connection, tables=PROTECTED_TABLES):
    """Lifts the triggers for the enclosed statements, in one transaction (a failure restores them).

    For database maintenance by the table owner and for test-database flushes only; the
    application itself never calls it.
    """
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                for sql in uninstall_sql(connection.vendor, tables):
                    cursor.execute(sql)
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are initially deferred
            else:
                for sql in install_sql(connection.vendor, tables):
                    cursor.execute(sql)


def allow_test_flush() -> None:
    """Lets Django's test-database flush (transactional tests, live_server) empty the protected tables."""
    from django.db import connections

    patched = set()
    for alias in connections:
        ops_class = type(connections[alias].ops)
        if ops_class in patched or getattr(ops_class, "_audit_flush_allowed", False):
            continue
        original = ops_class.execute_sql_flush

        def execute_sql_flush(self, sql_list, _original=original):
            if any(table in sql for sql in sql_list for table in PROTECTED_TABLES):
                with suspended(self.connection):
                    return _original(self, sql_list)
            return _original(self, sql_list)

        ops_class.execute_sql_flush = execute_sql_flush
        ops_class._audit_flush_allowed = True
        patched.add(ops_class)
