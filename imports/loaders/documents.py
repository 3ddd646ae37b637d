"""import_documents: one manifest row per document version, files from a folder.

Columns: number, title, type (document type code), version (1.0, 2.0, 2.1 ...), file (path relative
to --files), state (default effective), effective_date, category, description, keywords, owner
(username), change_summary, approved_by and approved_on (the legacy approvals; several separated
by `;`), sha256 (optional: the file must have it, as in a manifest written by export_records).

Each row goes through documents.services.import_version: the file is checked and stored like an
upload, the version keeps its legacy number and label and starts in its legacy state, the legacy
approvals are kept as legacy history (never as signatures), text extraction is queued. Versions of
one document are loaded in ascending order whatever the manifest's order. Idempotent by number +
version + file checksum: re-running after a partial failure loads only what is missing.
"""

from __future__ import annotations

from pathlib import Path

from django.core.files import File

from accounts.models import User
from documents import services as documents
from documents.models import DocumentType
from qms.errors import InvalidInput
from workflows.legacy import LegacyApproval
from workflows.models import WorkflowState

from ..reading import CellError, Row, Table, parse_date, require_cell, split_list
from ..runner import CREATED, SKIPPED, Loader
from ..states import StateMapper, parse_state_map

DEFAULT_STATE = "effective"


def version_key(label: str) -> tuple[int, int]:
    try:
        major, minor = label.split(".", 1)
        return int(major), int(minor)
    except ValueError:
        return (0, 0)


class DocumentLoader(Loader):
    kind = "documents"
    required_columns = ("number", "title", "type", "version", "file")

    def prepare(self, table) -> None:
        folder = self.options.get("files")
        self.folder = Path(folder).resolve() if folder else Path(table.path).resolve().parent
        if not self.folder.is_dir():
            raise InvalidInput(f"--files {self.folder} is not a folder.", field="files")
        states = sorted(set(WorkflowState.objects.filter(template__document_types__isnull=False).values_list("name", flat=True)))
        self.map_state = StateMapper(parse_state_map(self.options.get("state_map"), self.options.get("state_map_file")), states)
        self.types = {t.code.upper(): t for t in DocumentType.objects.select_related("default_workflow")}

    def rows(self, table: Table):
        """The manifest's rows, with the versions of each document in ascending order: streamed when
        the manifest is in that order already (exports are), sorted in memory otherwise."""
        last: dict[str, tuple[int, int]] = {}
        ordered = True
        for row in table.rows():
            number, key = row.get("number").upper(), version_key(row.get("version"))
            if number in last and last[number] > key:
                ordered = False
                break
            last[number] = key
        if ordered:
            return table.rows()
        return iter(sorted(table.rows(), key=lambda r: (r.get("number").upper(), version_key(r.get("version")), r.number)))

    def load(self, row: Row) -> str:
        number = require_cell(row, "number")
        type_code = require_cell(row, "type").upper()
        document_type = self.types.get(type_code)
        if document_type is None:
            raise CellError("type", f"No document type {type_code!r} (types: {', '.join(sorted(self.types))}).")
        path = self._file(require_cell(row, "file"))
        owner = None
        if row.get("owner"):
            owner = User.objects.filter(username__iexact=row.get("owner")).first()
            if owner is None:
                raise CellError("owner", f"No user {row.get('owner')!r}.")
        by, on = (
            split_list(row.get("approved_by")),
            [d.strip() for d in row.get("approved_on").split(";")] if row.get("approved_on") else [],
        )
        approvals = [LegacyApproval(by=name, on=on[i] if i < len(on) else "") for i, name in enumerate(by)]
        with open(path, "rb") as handle:
            upload = File(handle, name=path.name)
            if row.get("sha256"):
                from qms.files import sha256_of

                if sha256_of(upload) != row.get("sha256").lower():
                    raise CellError("sha256", f"{row.get('file')} does not have the checksum the manifest gives.")
            outcome = documents.import_version(
                actor=self.actor,
                number=number,
                title=row.get("title"),
                document_type=document_type,
                version=require_cell(row, "version"),
                state=self.map_state(row.get("state")) or DEFAULT_STATE,
                file=upload,
                category=row.get("category"),
                description=row.get("description"),
                keywords=row.get("keywords"),
                owner=owner,
                effective_date=parse_date(row.get("effective_date"), "effective_date"),
                change_summary=row.get("change_summary"),
                legacy_approvals=approvals,
                source=f"{Path(self.options.get('file') or '').name} row {row.number}",
            )
        if not outcome.created:
            return SKIPPED
        self.written.append(outcome.version.file.name)
        return CREATED

    def _file(self, relative: str) -> Path:
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder):
            raise CellError("file", f"{relative!r} is outside the files folder.")
        if not path.is_file():
            raise CellError("file", f"{relative!r} is not in {self.folder}.")
        return path
