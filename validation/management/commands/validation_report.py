"""manage.py validation_report --junit RESULTS.xml --out report.pdf [--out report.html]

Builds the traceability matrix of a test run (requirement → tests → result, with the product version
and commit), lists the requirements no test names as gaps, writes each --out file (by its extension:
.html, .pdf or .json) and the latest report's data to VALIDATION_REPORT_DIR/validation-report.json
(the Validation page shows it). Exits non-zero when a test traced to a requirement failed."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from validation import catalogue as catalogue_module
from validation import outputs, report

LATEST = "validation-report.json"


class Command(BaseCommand):
    help = "Build the validation report (traceability matrix) from a JUnit XML file of the test suite."

    def add_arguments(self, parser):
        parser.add_argument("--junit", required=True, help="JUnit XML of a pytest run (pytest --junitxml=...)")
        parser.add_argument("--out", action="append", default=[], help="Report file: .html, .pdf or .json (repeatable)")
        parser.add_argument("--catalogue", default=None, help="Requirements catalogue (default: validation/requirements.toml)")

    def handle(self, *args, junit, out, catalogue=None, **options):
        for path in out:
            if Path(path).suffix.lower() not in outputs.WRITERS:
                raise CommandError(f"--out {path}: the report is written as .html, .pdf or .json.")
        try:
            requirements = catalogue_module.load(catalogue)
            built = report.build(requirements=requirements, junit_path=junit)
        except (catalogue_module.CatalogueError, report.JUnitError) as exc:
            raise CommandError(str(exc)) from exc
        for path in out:
            self._write(Path(path), outputs.WRITERS[Path(path).suffix.lower()](built))
        self._write(Path(settings.VALIDATION_REPORT_DIR) / LATEST, outputs.to_json(built))
        summary = built.summary()
        self.stdout.write(
            f"Requirements: {summary[report.PASS]} pass, {summary[report.FAIL]} fail, {summary[report.NOT_RUN]} not run, "
            f"{summary[report.GAP]} gaps (no test). Tests: {built.totals['tests']}, {built.totals['traced']} traced."
        )
        for row in built.gaps:
            self.stdout.write(f"GAP   {row.requirement.id}: {row.requirement.title}")
        for test, requirement in built.unknown:
            self.stderr.write(f"Unknown requirement {requirement!r} named by {test}")
        if built.failed_rows:
            failed = sorted({t.name for row in built.failed_rows for t in row.tests if t.outcome in ("failed", "error")})
            raise CommandError(
                f"{len(failed)} test(s) traced to {len(built.failed_rows)} requirement(s) failed: " + ", ".join(failed[:20])
            )

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.stdout.write(f"Wrote {path}")
