"""Exports the audit trail to a file for an inspection, with the same filters as GET /api/audit/export.

    manage.py export_audit_trail --format pdf --resource-type document --resource-id 7 --out SOP-0001-trail.pdf
    manage.py export_audit_trail --format csv --date-from 2025-01-01 --date-to 2025-12-31 --out 2025.csv

The export is recorded in the audit trail like any other: attributed to the QMS user given with
--user (who needs audit.export), otherwise to the system and the operating-system account that ran
the command.
"""

import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from audit.services import EXPORT_FORMATS, ExportRejected, export_trail
from qms.errors import PermissionDenied

FILTERS = [
    ("user_id", "the acting user's id"),
    ("action", "action(s), comma-separated"),
    ("resource_type", "record type: the record's whole trail (with --resource-id)"),
    ("resource_id", "record id"),
    ("subject_type", "subject (root record) type only"),
    ("subject_id", "subject (root record) id only"),
    ("date_from", "from this date (YYYY-MM-DD) or ISO 8601 date-time, UTC"),
    ("date_to", "up to this date-time, or to the end of this date, UTC"),
    ("request_id", "the request id of the events"),
    ("q", "text in the summary"),
]


class Command(BaseCommand):
    help = "Export the audit trail (CSV or PDF) to a file; the export is itself audited."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="csv")
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--user", help="username of the QMS user the export is made for (needs audit.export)")
        for name, help_text in FILTERS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, help=help_text)

    def handle(self, *args, **options):
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        filters = {name: options[name] for name, _ in FILTERS if options.get(name) not in (None, "")}
        exporter = "" if actor is not None else f"manage.py export_audit_trail ({getpass.getuser()})"
        try:
            export = export_trail(actor=actor, export_format=options["format"], filters=filters, exporter=exporter)
        except ExportRejected as exc:
            problems = "; ".join(f"--{name.replace('_', '-')}: {' '.join(msgs)}" for name, msgs in exc.errors.items())
            raise CommandError(problems) from exc
        except PermissionDenied as exc:
            raise CommandError(exc.detail) from exc
        with open(options["out"], "wb") as out:
            for chunk in export.chunks():
                out.write(chunk)
        self.stdout.write(
            f"Wrote {export.events} events to {options['out']} ({export.export_format.upper()}); "
            f"chain head at sequence {export.statement['sequence']}"
        )
