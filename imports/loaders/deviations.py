"""import_deviations: one row per legacy deviation, idempotent by legacy number.

Columns: legacy_number (required), title, description, occurred_at, area, category, severity
(the report form's required fields), discovered_at, severity_rationale, product, batch,
immediate_action, any other field key of the active report form, state (mapped with --state-map),
reported_on, closed_on.

Each row is reported through deviations.services.report_deviation with the active report form (so
the same checks apply as to a deviation reported on the page) and `legacy=LegacyOrigin(...)`: it
gets a new number (DEV-YYYY-NNNN, numbering continues), keeps its legacy number, and starts in its
mapped workflow state without any transition or signature being implied.
"""

from __future__ import annotations

from deviations import services as deviations
from deviations.models import Deviation
from deviations.records import WORKFLOW_TEMPLATE
from deviations.selectors import active_form_template
from qms.errors import InvalidInput
from workflows.legacy import LegacyOrigin
from workflows.models import WorkflowTemplate

from ..reading import CellError, Row, parse_date, require_cell, split_list
from ..runner import CREATED, SKIPPED, Loader
from ..states import StateMapper, parse_state_map

DATE_TYPES = ("date",)


class DeviationLoader(Loader):
    kind = "deviations"
    required_columns = ("legacy_number", "title", "description", "occurred_at", "area", "category", "severity")

    def prepare(self, table) -> None:
        self.form = active_form_template()
        if self.form is None:
            raise InvalidInput("No report form is active: publish one before importing deviations.", field="form")
        template = WorkflowTemplate.objects.filter(name=WORKFLOW_TEMPLATE).order_by("-version").first()
        states = list(template.states.values_list("name", flat=True)) if template else []
        self.map_state = StateMapper(parse_state_map(self.options.get("state_map"), self.options.get("state_map_file")), states)

    def load(self, row: Row) -> str:
        legacy_number = require_cell(row, "legacy_number")
        if Deviation.objects.filter(legacy_number=legacy_number).exists():
            return SKIPPED
        form_data: dict[str, dict] = {}
        for section, spec in self.form.fields():
            key = spec.get("key")
            if key not in row.values or not row.get(key):
                continue
            value = row.get(key)
            if spec.get("type") in DATE_TYPES:
                value = parse_date(value, key).isoformat()
            elif spec.get("multiple"):
                value = split_list(value)
            form_data.setdefault(section["key"], {})[key] = value
        legacy = LegacyOrigin(
            number=legacy_number,
            state=self.map_state(row.get("state")),
            reported_on=parse_date(row.get("reported_on"), "reported_on"),
            closed_on=parse_date(row.get("closed_on"), "closed_on"),
            source=f"{self.options.get('file')} row {row.number}",
        )
        if legacy.closed_on and legacy.reported_on and legacy.closed_on < legacy.reported_on:
            raise CellError("closed_on", "closed_on is before reported_on.")
        deviations.report_deviation(actor=self.actor, form_data=form_data, legacy=legacy)
        return CREATED
