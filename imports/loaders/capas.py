"""import_capas: one row per legacy CAPA, idempotent by legacy number.

Columns: legacy_number (required), title, description (required), owner (username, required), due_date
(required; may be past for legacy CAPAs), capa_type (corrective, preventive, both; default
corrective), source (deviation, audit_finding, complaint, trend, other; default deviation when
deviations are named, else other), priority (low, medium, high, critical; default medium),
root_cause, source_reference, deviations (the legacy numbers of the deviations it addresses,
separated by `;`: resolved to the deviations imported with import_deviations), state (mapped with
--state-map or --state-map-file).

Each row goes through capa.services.create_capa with the legacy number and the linked deviations
(resolved by legacy number, or by their number in this system); the CAPA gets a new number (numbering
continues) and starts in its mapped workflow state without any transition or signature implied.
Import the deviations first: a deviation that is not found is reported at the row's `deviations`.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import User
from capa import services as capa_services
from capa.models import Capa, CapaSource
from capa.records import WORKFLOW_TEMPLATE
from deviations.models import Deviation
from workflows.legacy import LegacyOrigin
from workflows.models import WorkflowTemplate

from ..reading import CellError, Row, parse_date, require_cell, split_list
from ..runner import CREATED, SKIPPED, Loader
from ..states import StateMapper, parse_state_map


class CapaLoader(Loader):
    kind = "capas"
    required_columns = ("legacy_number", "title", "description", "owner", "due_date")

    def prepare(self, table) -> None:
        template = WorkflowTemplate.objects.filter(name=WORKFLOW_TEMPLATE).order_by("-version").first()
        states = list(template.states.values_list("name", flat=True)) if template else []
        self.map_state = StateMapper(parse_state_map(self.options.get("state_map"), self.options.get("state_map_file")), states)

    def load(self, row: Row) -> str:
        legacy_number = require_cell(row, "legacy_number")
        if Capa.objects.filter(legacy_number=legacy_number).exists():
            return SKIPPED
        owner_name = require_cell(row, "owner")
        owner = User.objects.filter(username__iexact=owner_name).first()
        if owner is None:
            raise CellError("owner", f"No user {owner_name!r}.")
        deviation_ids = self._deviations(split_list(row.get("deviations")))
        source = (row.get("source") or (CapaSource.DEVIATION if deviation_ids else CapaSource.OTHER)).lower()
        legacy = LegacyOrigin(
            number=legacy_number,
            state=self.map_state(row.get("state")),
            reported_on=parse_date(row.get("reported_on"), "reported_on"),
            closed_on=parse_date(row.get("closed_on"), "closed_on"),
            source=f"{self.options.get('file')} row {row.number}",
        )
        capa_services.create_capa(
            actor=self.actor,
            title=row.get("title"),
            description=row.get("description"),
            source=source,
            owner=owner,
            due_date=parse_date(row.get("due_date"), "due_date", required=True),
            capa_type=(row.get("capa_type") or "corrective").lower(),
            priority=(row.get("priority") or "medium").lower(),
            root_cause=row.get("root_cause"),
            source_reference=row.get("source_reference"),
            deviation_ids=deviation_ids,
            legacy_number=legacy_number,
            legacy=legacy,
            reason=f"Imported from the legacy system ({legacy.source})",
        )
        return CREATED

    def _deviations(self, numbers: list[str]) -> list[int]:
        """The links, resolved by legacy number (or by the number in this system) against the
        deviations loaded before (import_deviations runs first: the second pass of the pair)."""
        if not numbers:
            return []
        found: dict[str, int] = {}
        for pk, number, legacy in Deviation.objects.filter(Q(legacy_number__in=numbers) | Q(number__in=numbers)).values_list(
            "pk", "number", "legacy_number"
        ):
            found[number] = pk
            if legacy:
                found[legacy] = pk
        ids, missing = [], []
        for number in numbers:
            pk = found.get(number)
            if pk is None:
                missing.append(number)
            else:
                ids.append(pk)
        if missing:
            raise CellError("deviations", f"No deviation with legacy number {', '.join(missing)} (import the deviations first).")
        return ids
