"""The base of every import command: its options, the accountable user, the run and the exit status.

    manage.py import_<kind> FILE --as USERNAME [--dry-run] [--batch-size N] [--encoding E]
        [--delimiter D] [--sheet NAME] [--no-progress]

`--as` names the user accountable for the import (the services check that user's permissions and
the audit trail names them); the operating-system user is recorded on the run as well.
"""

from __future__ import annotations

import shlex
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from qms.errors import DomainError
from qms.permissions import require

from .runner import Loader, run_import


class ImportCommand(BaseCommand):
    loader_class: type[Loader]
    file_help = "CSV or XLSX file"

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--as", dest="actor", required=True, metavar="USERNAME", help="The user accountable for the import")
        parser.add_argument("--dry-run", action="store_true", help="Validate every row through the services and change nothing")
        parser.add_argument("--batch-size", type=int, default=100, help="Rows per transaction (each row its own savepoint)")
        parser.add_argument(
            "--encoding", help="CSV encoding (default: detected: UTF-8 with or without BOM, UTF-16, Windows-1252)"
        )
        parser.add_argument("--delimiter", help="CSV delimiter (default: detected among , ; tab |)")
        parser.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar or progress lines")
        self.add_loader_arguments(parser)

    def add_loader_arguments(self, parser) -> None:
        """Options of one kind of import."""

    def handle(self, *args, **options):
        actor = User.objects.filter(username__iexact=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {options['actor']!r} (--as names the user accountable for the import).")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            require(actor, "imports.run")
            loader = self.loader_class(actor=actor, options=options, dry_run=options["dry_run"])
            result = run_import(
                loader=loader,
                path=options["file"],
                actor=actor,
                command=self.command_line(options),
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                stdout=self.stdout,
                progress=not options["no_progress"],
                encoding=options.get("encoding"),
                delimiter=options.get("delimiter"),
                sheet=options.get("sheet"),
            )
        except DomainError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(result.summary())
        if not result.ok:
            raise CommandError(
                f"{result.failed} rows failed"
                + (f", {len(result.problems)} problems" if result.problems else "")
                + (f"; see {result.error_report_path}" if result.error_report_path else ""),
                returncode=1,
            )

    def command_line(self, options) -> str:
        """The command as typed; rebuilt from the options when called from code (call_command)."""
        name = self.__module__.rsplit(".", 1)[-1]
        if len(sys.argv) > 1 and sys.argv[1] == name:
            return shlex.join(["manage.py", *sys.argv[1:]])
        words = ["manage.py", name, str(options["file"]), "--as", options["actor"]]
        for key, value in sorted(options.items()):
            if key in (
                "file",
                "actor",
                "verbosity",
                "settings",
                "pythonpath",
                "traceback",
                "no_color",
                "force_color",
                "skip_checks",
            ):
                continue
            if value is True:
                words.append(f"--{key.replace('_', '-')}")
            elif value not in (None, False, "", [], ()):
                words += [f"--{key.replace('_', '-')}", str(value)]
        return shlex.join(words)
