"""Installation qualification (IQ): each check verifies one item of an installation and returns
PASS, FAIL or SKIP (not applicable here, with the reason). `manage.py installation_check` prints them
for the IQ protocol; any FAIL makes it exit non-zero.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import platform
import sys
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks as django_checks
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
AUDIT_TABLES = ("audit_auditevent", "audit_signature")
CHECKSUM_SAMPLE = 20


@dataclass(frozen=True)
class Result:
    item: str
    status: str
    detail: str


Check = Callable[[], Iterator[Result]]


def _requirement_lines(path: Path) -> Iterator[str]:
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            yield line


def check_python() -> Iterator[Result]:
    pyproject = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())
    wanted = pyproject["project"]["requires-python"]
    version = platform.python_version()
    ok = SpecifierSet(wanted).contains(version)
    yield Result("Python version", PASS if ok else FAIL, f"Python {version} ({sys.executable}); required {wanted}")


def check_packages() -> Iterator[Result]:
    """Every runtime dependency installed in a version its requirements.txt range allows."""
    for line in _requirement_lines(Path(settings.BASE_DIR) / "requirements.txt"):
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            yield Result(f"package {line}", FAIL, "unreadable line in requirements.txt")
            continue
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            yield Result(f"package {requirement.name}", FAIL, f"not installed; required {requirement.specifier}")
            continue
        ok = requirement.specifier.contains(installed, prereleases=True)
        yield Result(
            f"package {requirement.name}",
            PASS if ok else FAIL,
            f"{installed} installed; required {requirement.specifier or 'any'}",
        )


def check_migrations() -> Iterator[Result]:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:10])
        yield Result("database migrations", FAIL, f"{len(plan)} not applied: {names} (run manage.py migrate)")
    else:
        applied = len(executor.loader.applied_migrations)
        yield Result("database migrations", PASS, f"all {applied} applied ({connection.vendor})")


def check_deploy_settings() -> Iterator[Result]:
    issues = [
        issue
        for issue in django_checks.run_checks(include_deployment_checks=True)
        if issue.level >= django_checks.WARNING and not issue.is_silenced()
    ]
    detail = "; ".join(f"{issue.id}: {str(issue.msg).split('. ')[0]}" for issue in issues)
    yield Result("manage.py check --deploy", FAIL if issues else PASS, detail or "no warnings or errors")
    yield Result("DEBUG off", FAIL if settings.DEBUG else PASS, f"DEBUG={settings.DEBUG}")


def _secret_problem(name: str, value: str) -> str:
    if not value:
        return f"{name} is not set"
    if value.startswith("insecure-development-"):
        return f"{name} is the development placeholder"
    if len(value) < 50 or len(set(value)) < 5:
        return f"{name} is too short or too simple (at least 50 varied characters)"
    return ""


def check_secrets() -> Iterator[Result]:
    for name in ("SECRET_KEY", "AUDIT_HMAC_KEY"):
        problem = _secret_problem(name, getattr(settings, name, ""))
        yield Result(f"{name} set", FAIL if problem else PASS, problem or f"set ({len(getattr(settings, name))} characters)")
    same = settings.SECRET_KEY == settings.AUDIT_HMAC_KEY or settings.SECRET_KEY in settings.AUDIT_HMAC_OLD_KEYS
    yield Result(
        "secret keys distinct",
        FAIL if same else PASS,
        "AUDIT_HMAC_KEY equals SECRET_KEY" if same else "SECRET_KEY and AUDIT_HMAC_KEY differ",
    )


def check_database_roles() -> Iterator[Result]:
    """The application's role owns nothing and cannot change or remove audit events and signatures."""
    item = "database role separation (audit tables)"
    if connection.vendor != "postgresql":
        yield Result(
            item, SKIP, f"{connection.vendor} has no database roles; production runs on PostgreSQL (setup_database_roles)"
        )
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
        problems = []
        if superuser:
            problems.append(f"the application connects as the superuser {role}")
        for table in AUDIT_TABLES:
            cursor.execute("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s", [table])
            owner = cursor.fetchone()
            if owner is None:
                problems.append(f"table {table} is missing")
                continue
            if owner[0] == role:
                problems.append(f"{role} owns {table}")
            for privilege in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER"):
                cursor.execute("SELECT has_table_privilege(current_user, %s, %s)", [table, privilege])
                if cursor.fetchone()[0]:
                    problems.append(f"{role} may {privilege} {table}")
    if problems:
        yield Result(item, FAIL, "; ".join(problems) + " (see manage.py setup_database_roles)")
    else:
        yield Result(item, PASS, f"{role} owns no audit table and may not UPDATE, DELETE, TRUNCATE or TRIGGER them")


def check_storage() -> Iterator[Result]:
    name = f"installation-check/{uuid.uuid4().hex}.txt"
    content = f"QMS installation check {timezone.now().isoformat()}".encode()
    try:
        stored = default_storage.save(name, ContentFile(content))
        with default_storage.open(stored, "rb") as handle:
            read_back = handle.read()
        default_storage.delete(stored)
    except Exception as exc:  # any storage backend error is the finding
        yield Result("file storage writable", FAIL, f"{settings.STORAGE_TYPE}: {type(exc).__name__}: {exc}")
        return
    ok = read_back == content
    yield Result(
        "file storage writable", PASS if ok else FAIL, f"{settings.STORAGE_TYPE} storage: wrote, read back and removed a file"
    )
    if not apps.is_installed("documents"):
        return
    from documents.files import checksum_problem
    from documents.models import DocumentVersion

    sample = list(DocumentVersion.objects.select_related("document").order_by("-pk")[:CHECKSUM_SAMPLE])
    if not sample:
        yield Result("stored file checksums (sample)", SKIP, "no document files stored yet")
        return
    problems = [problem for problem in (checksum_problem(v) for v in sample) if problem]
    detail = "; ".join(problems) if problems else f"the {len(sample)} newest document files match their SHA-256"
    yield Result("stored file checksums (sample)", FAIL if problems else PASS, detail)


def check_audit_chain() -> Iterator[Result]:
    from audit import chain, services

    result = services.verify_chain()
    yield Result(
        "audit trail hash chain",
        PASS if result.valid else FAIL,
        f"{result.events} events verify against the key and the checkpoints" if result.valid else result.problem,
    )
    latest = chain.latest_checkpoint()
    if latest is None:
        yield Result(
            "latest audit checkpoint",
            FAIL,
            f"none in {settings.AUDIT_CHECKPOINT_DIR} (run manage.py audit_checkpoint; beat writes them)",
        )
    else:
        yield Result(
            "latest audit checkpoint",
            PASS,
            f"#{latest.number} at {latest.created_at}, sequence {latest.sequence}, head {latest.head_hash[:16]}…",
        )


def check_worker() -> Iterator[Result]:
    from qms.celery import app

    if app.conf.task_always_eager:
        yield Result("Celery worker reachable", SKIP, "no broker configured: background tasks run in the web process")
        return

    try:
        replies = app.control.ping(timeout=3) or []
    except Exception as exc:  # the broker being down is the finding
        yield Result("Celery worker reachable", FAIL, f"broker unreachable: {type(exc).__name__}: {exc}")
        return
    workers = sorted(name for reply in replies for name in reply)
    yield Result("Celery worker reachable", PASS if workers else FAIL, ", ".join(workers) or "no worker answered within 3 s")


def check_chroma() -> Iterator[Result]:
    item = "Chroma vector store reachable"
    if not apps.is_installed("search"):
        yield Result(item, SKIP, "not configured (no search module installed)")
        return
    from search import vectorstore

    where = vectorstore.where()
    if vectorstore.heartbeat():
        yield Result(item, PASS, f"{where} answered")
    else:
        yield Result(item, FAIL, f"{where} did not answer (search falls back to keywords only)")


def check_time() -> Iterator[Result]:
    problems = []
    if settings.TIME_ZONE != "UTC":
        problems.append(f"TIME_ZONE is {settings.TIME_ZONE}")
    if not settings.USE_TZ:
        problems.append("USE_TZ is off")
    if getattr(settings, "CELERY_TIMEZONE", "UTC") != "UTC":
        problems.append(f"CELERY_TIMEZONE is {settings.CELERY_TIMEZONE}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('TimeZone'), now()")
            zone, database_now = cursor.fetchone()
            if zone.upper() not in ("UTC", "ETC/UTC"):
                problems.append(f"database session time zone is {zone}")
            skew = abs((timezone.now() - database_now).total_seconds())
            if skew > 5:
                problems.append(f"database clock differs by {skew:.0f} s")
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    yield Result("times in UTC", FAIL if problems else PASS, "; ".join(problems) or f"server time {now}; stored and shown in UTC")


CHECKS: list[Check] = [
    check_python,
    check_packages,
    check_migrations,
    check_deploy_settings,
    check_secrets,
    check_database_roles,
    check_storage,
    check_audit_chain,
    check_worker,
    check_chroma,
    check_time,
]


def run_checks() -> list[Result]:
    results = []
    for check in CHECKS:
        try:
            results.extend(check())
        except Exception as exc:  # a check that cannot run is a failed item, never a crash of the protocol
            results.append(Result(check.__name__.removeprefix("check_").replace("_", " "), FAIL, f"{type(exc).__name__}: {exc}"))
    return results


def fingerprint(results: list[Result]) -> str:
    return hashlib.sha256("\n".join(f"{r.status}|{r.item}|{r.detail}" for r in results).encode()).hexdigest()
