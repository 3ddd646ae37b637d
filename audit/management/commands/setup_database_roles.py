"""Sets up the PostgreSQL roles: an owner that runs migrations, an application role that owns nothing.

    manage.py setup_database_roles --owner qms_owner --app-role qms_app --app-password '…'
    manage.py setup_database_roles --owner qms_owner --app-role qms_app --print-sql   # review, run with psql

Run it as a superuser (or a role with CREATEROLE that may reassign the objects): on a new
installation before the first `migrate` (so that the owner exists and owns the database) and after
every `migrate` (so that new tables get their grants and the audit tables their restrictions); it
is idempotent. Afterwards:

- the owner owns the database, every table, sequence and the audit trigger functions; `manage.py
  migrate` connects as the owner (DATABASE_OWNER_URL);
- the application role (DATABASE_URL) may only INSERT and SELECT audit events, signatures and
  the other append-only tables (audit.immutability.append_only_tables: e.g. training completions),
  SELECT, INSERT and UPDATE the chain head (whose trigger lets it only move forward), and use
  SELECT, INSERT, UPDATE, DELETE on every other table. It cannot TRUNCATE, create or change
  triggers, or alter or drop tables: those need the owner.
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from audit.immutability import HEAD_TABLE, PG_FUNCTION, PG_HEAD_FUNCTION, append_only_tables

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _role(name: str) -> str:
    if not _ROLE_NAME.match(name or ""):
        raise CommandError(f"{name!r} is not a valid role name (lower-case letters, digits and _; at most 63).")
    return f'"{name}"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _if_table(table: str, sql: str) -> str:
    """`sql` run only when the table exists (a new installation runs this before its first migrate)."""
    return f"DO $$ BEGIN IF to_regclass({_literal('public.' + table)}) IS NOT NULL THEN EXECUTE {_literal(sql)}; END IF; END $$"


def role_setup_sql(
    *,
    database: str,
    owner: str,
    app_role: str,
    owner_password: str = "",
    app_password: str = "",
    append_only: list[str] | None = None,
) -> list[str]:
    """The statements, in order. Role creation is conditional (a DO block) so the script can be re-run.
    `append_only`: the tables the application may only INSERT into and SELECT from (default: every
    append-only table, audit.immutability.append_only_tables)."""
    append_only = append_only_tables() if append_only is None else append_only
    owner_q, app_q, database_q = _role(owner), _role(app_role), '"' + database.replace('"', '""') + '"'

    def ensure_role(name: str, quoted: str, password: str) -> list[str]:
        login = f"LOGIN PASSWORD {_literal(password)}" if password else "LOGIN"
        return [
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_literal(name)}) THEN "
            f"CREATE ROLE {quoted} {login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$",
            *([f"ALTER ROLE {quoted} PASSWORD {_literal(password)}"] if password else []),
        ]

    return [
        *ensure_role(owner, owner_q, owner_password),
        *ensure_role(app_role, app_q, app_password),
        f"ALTER ROLE {app_q} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        # The owner owns the database and everything in the public schema.
        f"ALTER DATABASE {database_q} OWNER TO {owner_q}",
        "DO $$ DECLARE item record; BEGIN "
        "FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND NOT EXISTS ("
        "SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S') LOOP "
        "EXECUTE format('ALTER %s public.%I OWNER TO " + owner_q.replace("'", "''") + "', "
        "CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' "
        "ELSE 'TABLE' END, item.relname); END LOOP; END $$",
        *[
            f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_proc WHERE proname = {_literal(function)}) THEN "
            f"ALTER FUNCTION {function}() OWNER TO {owner_q}; END IF; END $$"
            for function in (PG_FUNCTION, PG_HEAD_FUNCTION)
        ],
        # The application role: connect and use the schema, never create in it.
        f"GRANT CONNECT, TEMPORARY ON DATABASE {database_q} TO {app_q}",
        f"REVOKE CREATE ON SCHEMA public FROM {app_q}",
        f"GRANT USAGE ON SCHEMA public TO {app_q}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app_q}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app_q}",
        *[_if_table(table, f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {app_q}") for table in append_only],
        _if_table(HEAD_TABLE, f"REVOKE DELETE, TRUNCATE ON {HEAD_TABLE} FROM {app_q}"),
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {app_q}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_q}",
        # Tables the owner creates later (new migrations) are usable by the application right away;
        # re-run this command after `migrate` so new audit tables get their restrictions.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_q}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app_q}",
    ]


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL owner and application roles: the application may only INSERT and "
        "SELECT the audit trail, signatures and other append-only tables; migrations run as the owner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="role that owns the database and runs migrations")
        parser.add_argument("--app-role", required=True, help="role the application connects as (DATABASE_URL)")
        parser.add_argument("--owner-password", default="", help="set (or reset) the owner's password")
        parser.add_argument("--app-password", default="", help="set (or reset) the application role's password")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="connection to run it on; it must be a superuser's")
        parser.add_argument("--print-sql", action="store_true", help="print the statements instead of running them")

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql" and not options["print_sql"]:
            raise CommandError("Database roles are a PostgreSQL feature; this database is " + connection.vendor + ".")
        if options["owner"] == options["app_role"]:
            raise CommandError("The application role must not be the owner.")
        statements = role_setup_sql(
            database=connection.settings_dict["NAME"],
            owner=options["owner"],
            app_role=options["app_role"],
            owner_password=options["owner_password"],
            app_password=options["app_password"],
        )
        if options["print_sql"]:
            for sql in statements:
                self.stdout.write(sql + ";")
            return
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(
            f"Roles ready on {connection.settings_dict['NAME']}: {options['owner']} owns the schema; "
            f"{options['app_role']} may INSERT/SELECT {', '.join(append_only_tables())} and move {HEAD_TABLE} forward."
        )
