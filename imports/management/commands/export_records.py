"""Exports records for backups and migrations out, in constant memory; see imports/exporting.py.

manage.py export_records --type documents --format csv --out /backup/docs --as qa.manager
manage.py export_records --type deviations --format xlsx --out /backup --since 2026-01-01 --as qa.manager
"""

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from imports.exporting import FORMATS, TYPES, export_records
from imports.reading import CellError, parse_date
from qms.errors import DomainError


class Command(BaseCommand):
    help = (
        "Export documents (with files and a manifest import_documents reads back), deviations, CAPAs, "
        "training or the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--type", required=True, choices=sorted(TYPES), dest="record_type")
        parser.add_argument("--format", default="csv", choices=FORMATS, dest="export_format")
        parser.add_argument("--out", required=True, help="Folder to write to (created if missing)")
        parser.add_argument("--since", help="Only records changed since this date (YYYY-MM-DD)")
        parser.add_argument("--as", dest="actor", required=True, metavar="USERNAME", help="The user accountable for the export")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, record_type, export_format, out, since, actor, no_progress, **options):
        user = User.objects.filter(username__iexact=actor, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {actor!r}.")
        try:
            day = parse_date(since, "since") if since else None
        except CellError as exc:
            raise CommandError(exc.message) from exc
        moment = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC) if day else None
        tty = sys.stderr.isatty()

        def progress(count: int) -> None:
            if not no_progress and count % 1000 == 0:
                (sys.stderr if tty else self.stdout).write(f"{record_type}: {count} rows written\n")

        try:
            result = export_records(
                actor=user, record_type=record_type, export_format=export_format, out=out, since=moment, progress=progress
            )
        except DomainError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(
            f"{result.rows} {record_type} records"
            + (f" and {result.files} files" if result.files else "")
            + f" written to {', '.join(str(p) for p in result.paths)}"
        )
