"""Every write of imports and exports: the run records and their audit events.

The rows themselves are written by the services of the apps they belong to (accounts, documents,
training, deviations, capa), called by the loaders in imports/loaders/; these functions only open
and close the run that frames them, and audit exports.
"""

from __future__ import annotations

import getpass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from qms.permissions import require

from .audit_actions import ImportAuditAction
from .models import ImportRun, RunStatus

RUN = "imports.run"


def _os_user() -> str:
    try:
        return getpass.getuser()[:150]
    except (KeyError, OSError):  # no passwd entry (containers)
        return ""


def start_run(*, actor: User, kind: str, source, command: str) -> ImportRun:
    """Opens the run of an import of `source` (reading.SourceFile: path, name, size, SHA-256) by
    `actor`, the user accountable for it."""
    require(actor, RUN)
    with transaction.atomic():
        run = ImportRun.objects.create(
            kind=kind,
            started_by=actor,
            started_by_name=actor.display_name[:200],
            os_user=_os_user(),
            command=command,
            source_path=str(source.path)[:1000],
            source_name=source.name[:255],
            source_sha256=source.sha256,
            source_size=source.size,
        )
        audit.record(
            action=ImportAuditAction.IMPORT_START,
            resource_type=ImportRun.audit_resource_type,
            resource_id=run.pk,
            actor=actor,
            summary=f"Import of {run.get_kind_display().lower()} from {run.source_name} started (run {run.pk})",
            new_values={
                "kind": kind,
                "source_path": run.source_path,
                "source_sha256": run.source_sha256,
                "source_size": run.source_size,
                "command": command,
                "os_user": run.os_user,
            },
        )
    return run


def finish_run(
    *,
    actor: User,
    run: ImportRun,
    counts: dict[str, int],
    total: int,
    error_report_path: str = "",
    error_report: str = "",
    message: str = "",
) -> ImportRun:
    """Closes a run with its counts (created, updated, skipped, failed) and where its error report is;
    `message` says why a run was aborted."""
    require(actor, RUN)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        run.total_rows = total
        run.created_count = counts.get("created", 0)
        run.updated_count = counts.get("updated", 0)
        run.skipped_count = counts.get("skipped", 0)
        run.failed_count = counts.get("failed", 0)
        run.error_report_path = error_report_path[:1000]
        run.error_report = error_report[:500]
        run.message = message
        run.finished_at = timezone.now()
        if message:
            run.status = RunStatus.ABORTED
        else:
            run.status = RunStatus.FAILED_ROWS if run.failed_count else RunStatus.SUCCEEDED
        run.save()
        audit.record(
            action=ImportAuditAction.IMPORT_FINISH,
            resource_type=ImportRun.audit_resource_type,
            resource_id=run.pk,
            actor=actor,
            summary=(
                f"Import run {run.pk} of {run.source_name} {run.get_status_display().lower()}: "
                f"{run.created_count} created, {run.updated_count} updated, {run.skipped_count} skipped, "
                f"{run.failed_count} failed"
            ),
            old_values={"status": RunStatus.RUNNING},
            new_values={
                "status": run.status,
                "total_rows": total,
                **{key: counts.get(key, 0) for key in ("created", "updated", "skipped", "failed")},
                "error_report": run.error_report_path or None,
                "message": message or None,
            },
        )
    return run


def record_export(*, actor: User, record_type: str, export_format: str, out: str, rows: int, since=None, files: int = 0) -> None:
    """Audits an export written by `manage.py export_records` (what, how many, where)."""
    require(actor, RUN)
    with transaction.atomic():
        audit.record(
            action=ImportAuditAction.EXPORT,
            resource_type="export",
            resource_id=None,
            actor=actor,
            summary=f"{rows} {record_type} records exported as {export_format} to {out}"
            + (f" ({files} files)" if files else "")
            + (f", changed since {since.isoformat()}" if since else ""),
            new_values={
                "type": record_type,
                "format": export_format,
                "out": out,
                "rows": rows,
                "files": files,
                "since": since,
            },
        )
