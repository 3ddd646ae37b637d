"""import_training_records: one row per historical completion (history only, no signatures).

Columns: username (required), program (title, required), completed_on (required), category (of a
program created by the import: GMP, SOP, COMPLIANCE, SECURITY, TECHNICAL, LEADERSHIP; default GMP),
document_number and document_version (what was trained on, if a document), trainer (as the legacy
system names them).

The program is matched by title (case-insensitive, retired ones included) or created, published,
through training.services.create_program; the completion is recorded through
training.services.record_historical_completion. Idempotent by person, program, day and version.
"""

from __future__ import annotations

from accounts.models import User
from documents.models import DocumentVersion
from training import services as training
from training.models import Category, ProgramStatus, TrainingProgram

from ..reading import CellError, Row, parse_date, require_cell
from ..runner import CREATED, SKIPPED, Loader


class TrainingRecordLoader(Loader):
    kind = "training"
    required_columns = ("username", "program", "completed_on")

    def load(self, row: Row) -> str:
        username = require_cell(row, "username")
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CellError("username", f"No user {username!r} (import the users first).")
        completed_on = parse_date(row.get("completed_on"), "completed_on", required=True)
        version = self._version(row)
        program = self._program(require_cell(row, "program"), row.get("category"))
        outcome = training.record_historical_completion(
            actor=self.actor,
            program=program,
            user=user,
            completed_on=completed_on,
            document_version=version,
            trainer=row.get("trainer"),
            source=f"{self.options.get('file')} row {row.number}",
        )
        return CREATED if outcome.created else SKIPPED

    def _program(self, title: str, category: str) -> TrainingProgram:
        matches = TrainingProgram.objects.filter(title__iexact=title).order_by("-pk")
        program = matches.exclude(status=ProgramStatus.RETIRED).first() or matches.first()
        if program is not None:
            return program
        category = (category or Category.GMP).upper()
        if category not in Category.values:
            raise CellError("category", f"{category!r} is not a training category ({', '.join(Category.values)}).")
        return training.create_program(
            actor=self.actor,
            data={
                "title": title,
                "category": category,
                "status": ProgramStatus.PUBLISHED,
                "description": "Created by the import of legacy training records.",
            },
        )

    def _version(self, row: Row) -> DocumentVersion | None:
        number, label = row.get("document_number"), row.get("document_version")
        if not number:
            return None
        versions = DocumentVersion.objects.select_related("document").filter(document__number__iexact=number)
        version = versions.filter(version=label).first() if label else versions.order_by("-major", "-minor").first()
        if version is None:
            raise CellError(
                "document_version" if label else "document_number", f"No document {number} version {label or '(any)'}."
            )
        return version
