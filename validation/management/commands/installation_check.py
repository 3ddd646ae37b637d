"""manage.py installation_check [--out FILE]: installation qualification (IQ), item by item.

Prints PASS, FAIL or SKIP (not applicable here, with the reason) for: Python and package versions
against pyproject.toml and requirements.txt, migrations applied, production settings (check
--deploy, DEBUG off, secret keys set and distinct), database role separation for the audit tables,
file storage writable and a sample of stored files against their checksums, the audit chain and its
latest checkpoint, the Celery worker, Chroma, and UTC time. Exits 1 when any item fails. The output
(also written to --out) is meant to be attached to the IQ protocol."""

import getpass
import platform
import socket
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qms import __version__
from validation import installation
from validation.report import product_commit


class Command(BaseCommand):
    help = "Installation qualification: verify this installation item by item (PASS/FAIL/SKIP); exit 1 on any FAIL."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", default=None, help="Also write the output to this file (e.g. reports/installation-check.txt)"
        )

    def handle(self, *args, out=None, **options):
        results = installation.run_checks()
        lines = [
            "QMS installation check (installation qualification)",
            f"Product version {__version__}, commit {product_commit()}",
            f"Host {socket.gethostname()} ({platform.platform()}), run by {getpass.getuser()} at "
            f"{timezone.now().strftime('%Y-%m-%d %H:%M:%S')} UTC",
            "",
        ]
        width = max(len(r.item) for r in results)
        lines += [f"{r.status:<4}  {r.item:<{width}}  {r.detail}" for r in results]
        counts = {
            status: sum(1 for r in results if r.status == status)
            for status in (installation.PASS, installation.FAIL, installation.SKIP)
        }
        lines += [
            "",
            f"Result: {'FAIL' if counts['FAIL'] else 'PASS'} ({counts['PASS']} passed, {counts['FAIL']} failed, "
            f"{counts['SKIP']} not applicable); fingerprint {installation.fingerprint(results)[:16]}",
        ]
        text = "\n".join(lines) + "\n"
        self.stdout.write(text, ending="")
        if out:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(text)
        if counts["FAIL"]:
            raise CommandError(f"{counts['FAIL']} item(s) failed the installation check.")
