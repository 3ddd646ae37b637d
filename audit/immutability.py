"""Database triggers that make the audit trail, the signatures and other apps' append-only records
append-only and guard the chain head.

PostgreSQL: a row trigger rejects UPDATE and DELETE and a statement trigger rejects TRUNCATE on
the events and signatures. The chain head (one row) may only move forward onto the newest
appended event: its guard rejects DELETE, TRUNCATE, a head that moves back and a head that does
not name the last event with its hash.
SQLite: row triggers reject UPDATE and DELETE on events and signatures (SQLite has no TRUNCATE;
`DELETE FROM t` fires the trigger), DELETE on the head and a head that moves back.

Installed by migrations (0002, 0006). Only a table owner or superuser can get past them, by
disabling or dropping the triggers; the application's database role owns nothing (`manage.py
setup_database_roles`), and the keyed hash chain with its checkpoints outside the database
reveals what an owner changed anyway.

Other apps declare append-only tables of their own (records that are evidence, e.g. training
completions): the model subclasses `audit.models.AppendOnlyModel` and a migration of the app adds

    from audit.immutability import AppendOnlyTriggers

    operations = [AppendOnlyTriggers(["training_completion", "training_completionrevocation"])]

Its table then gets the same triggers, `setup_database_roles` gives the application role only
INSERT and SELECT on it, and the test-database flush lifts them (`append_only_tables()` lists every
append-only table). On SQLite a migration that rebuilds such a table (altering a column) drops its
triggers: add the operation again after it.
"""

from contextlib import contextmanager

from django.db import transaction
from django.db.migrations.operations.base import Operation

PROTECTED_TABLES = ["audit_auditevent", "audit_signature"]
HEAD_TABLE = "audit_chainhead"
PG_FUNCTION = "audit_reject_change"
PG_HEAD_FUNCTION = "audit_guard_chain_head"


def _pg_install(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}",
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
    ]


def _sqlite_install(table: str) -> list[str]:
    return [
        sql
        for op in ("UPDATE", "DELETE")
        for sql in (
            f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}",
            f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} is not allowed'); END",
        )
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


def uninstall_sql(vendor: str, tables=PROTECTED_TABLES, *, drop_function: bool = True) -> list[str]:
    """Removes the triggers of `tables` (and on PostgreSQL their function, unless other tables' triggers
    still use it: `drop_function=False`)."""
    if vendor == "postgresql":
        drops = [
            f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}"
            for table in tables
            for name in ("no_update_delete", "no_truncate")
        ]
        return drops + ([f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"] if drop_function else [])
    if vendor == "sqlite":
        return [sql for table in tables for sql in _sqlite_uninstall(table)]
    return []


def head_install_sql(vendor: str) -> list[str]:
    """The chain head's guard (see the module docstring)."""
    if vendor == "postgresql":
        function = f"""
CREATE OR REPLACE FUNCTION {PG_HEAD_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    RAISE EXCEPTION 'audit_chainhead: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.length = OLD.length AND NEW.last_hash = OLD.last_hash
     AND NEW.last_event_id IS NOT DISTINCT FROM OLD.last_event_id THEN
    RETURN NEW;  -- the lock an append takes before reading the head
  END IF;
  IF NEW.id <> 1 OR (TG_OP = 'UPDATE' AND NEW.length < OLD.length) THEN
    RAISE EXCEPTION 'audit_chainhead: the chain head cannot move back' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.length = 0 THEN
    IF EXISTS (SELECT 1 FROM audit_auditevent) THEN
      RAISE EXCEPTION 'audit_chainhead: the chain is not empty' USING ERRCODE = 'insufficient_privilege';
    END IF;
  ELSIF NOT EXISTS (
      SELECT 1 FROM audit_auditevent
      WHERE sequence = NEW.length AND hash = NEW.last_hash AND id = NEW.last_event_id
  ) OR EXISTS (SELECT 1 FROM audit_auditevent WHERE sequence > NEW.length) THEN
    RAISE EXCEPTION 'audit_chainhead: the head must name the newest event and its hash'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END; $$"""
        return [
            function,
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_guard ON {HEAD_TABLE}",
            f"CREATE TRIGGER {HEAD_TABLE}_guard BEFORE INSERT OR UPDATE OR DELETE ON {HEAD_TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_HEAD_FUNCTION}()",
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_truncate ON {HEAD_TABLE}",
            f"CREATE TRIGGER {HEAD_TABLE}_no_truncate BEFORE TRUNCATE ON {HEAD_TABLE} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_HEAD_FUNCTION}()",
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_delete",
            f"CREATE TRIGGER {HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{HEAD_TABLE}: DELETE is not allowed'); END",
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_move_back",
            f"CREATE TRIGGER {HEAD_TABLE}_no_move_back BEFORE UPDATE ON {HEAD_TABLE} WHEN NEW.length < OLD.length "
            f"BEGIN SELECT RAISE(ABORT, '{HEAD_TABLE}: the chain head cannot move back'); END",
        ]
    return []


def head_uninstall_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_guard ON {HEAD_TABLE}",
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_truncate ON {HEAD_TABLE}",
            f"DROP FUNCTION IF EXISTS {PG_HEAD_FUNCTION}()",
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_{name}" for name in ("no_delete", "no_move_back")]
    return []


def append_only_tables() -> list[str]:
    """Every append-only table: the audit trail's and signatures', then those of the installed apps'
    `audit.models.AppendOnlyModel` subclasses."""
    from django.apps import apps

    from .models import AppendOnlyModel

    declared = [
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, AppendOnlyModel) and not model._meta.proxy and model._meta.managed
    ]
    return [*PROTECTED_TABLES, *sorted(set(declared) - set(PROTECTED_TABLES))]


class AppendOnlyTriggers(Operation):
    """Migration operation: the triggers that make `tables` append-only (reversed: removes them)."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, tables: list[str]):
        self.tables = list(tables)

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.tables], {})

    def state_forwards(self, app_label, state):
        pass  # no change to the models

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in install_sql(schema_editor.connection.vendor, self.tables):
            schema_editor.execute(sql, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in uninstall_sql(schema_editor.connection.vendor, self.tables, drop_function=False):
            schema_editor.execute(sql, params=None)

    def describe(self) -> str:
        return f"Make {', '.join(self.tables)} append-only (triggers)"

    @property
    def migration_name_fragment(self) -> str:
        return "append_only_triggers"


@contextmanager
def suspended(connection, tables=None):
    """Lifts the triggers (of every append-only table and the chain head, or of `tables`) for the
    enclosed statements, in one transaction (a failure restores them).

    For database maintenance by the table owner, data migrations and test-database flushes only;
    the application itself never calls it.
    """
    if tables is None:
        existing = set(connection.introspection.table_names())
        tables = [table for table in (*append_only_tables(), HEAD_TABLE) if table in existing]
    tables = list(tables)
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                for sql in _sqlite_sql(uninstall_sql, tables):
                    cursor.execute(sql)
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are initially deferred
            else:
                for sql in _sqlite_sql(install_sql, tables):
                    cursor.execute(sql)


def _sqlite_sql(builder, tables) -> list[str]:
    """SQLite statements for the given tables: the append-only pair and, when listed, the head's guard."""
    sql = builder("sqlite", [t for t in tables if t != HEAD_TABLE])
    if HEAD_TABLE in tables:
        sql += head_install_sql("sqlite") if builder is install_sql else head_uninstall_sql("sqlite")
    return sql


def allow_test_flush() -> None:
    """Lets Django's test-database flush (transactional tests, live_server) empty the append-only tables."""
    from django.db import connections

    protected = (*append_only_tables(), HEAD_TABLE)
    patched = set()
    for alias in connections:
        ops_class = type(connections[alias].ops)
        if ops_class in patched or getattr(ops_class, "_audit_flush_allowed", False):
            continue
        original = ops_class.execute_sql_flush

        def execute_sql_flush(self, sql_list, _original=original):
            if any(table in sql for sql in sql_list for table in protected):
                with suspended(self.connection):
                    return _original(self, sql_list)
            return _original(self, sql_list)

        ops_class.execute_sql_flush = execute_sql_flush
        ops_class._audit_flush_allowed = True
        patched.add(ops_class)
