"""Running the import commands in tests and counting what they changed."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from django.core.management import CommandError, call_command

from audit.models import AuditEvent

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def sample(tmp_path: Path, name: str) -> Path:
    """A copy of a sample file (or folder) in tmp_path, so error reports are written there."""
    source = SAMPLES / name
    target = tmp_path / name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return target


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(command: str, *args, **options) -> tuple[int, str]:
    """(exit status, output) of a command; 1 when it failed (CommandError)."""
    out = io.StringIO()
    options.setdefault("no_progress", False)
    try:
        call_command(command, *map(str, args), stdout=out, stderr=out, **options)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def audit_count() -> int:
    return AuditEvent.objects.count()


def error_rows(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_csv(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
