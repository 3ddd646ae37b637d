"""How a deviation takes its fields from the report form.

The report form speaks the record's vocabulary: the answer to the field with key `title` is the
deviation's title, and so on for the keys in RECORD_FIELDS. A form can only be published when it
has the fields a deviation cannot do without (title, description, occurred_at, area, category,
severity: required, of a fitting type, category and area taking their choices from the admin,
severity offering the four severities), so every active form can report a deviation. Other fields
of the form are kept as answers only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from . import limits
from .forms_engine import CleanedAnswers, FormAnswersInvalid
from .models import Area, Category, FieldType, Severity

Problem = tuple[list, str, str]

TEXTS = frozenset({FieldType.TEXT, FieldType.TEXTAREA})


@dataclass(frozen=True)
class RecordField:
    key: str
    label: str
    types: frozenset
    required: bool = False
    options_from: str | None = None
    max_length: int | None = None


RECORD_FIELDS = [
    RecordField("title", "Title", frozenset({FieldType.TEXT}), required=True, max_length=limits.TITLE),
    RecordField("description", "Description", TEXTS, required=True),
    RecordField("occurred_at", "Date it occurred", frozenset({FieldType.DATE}), required=True),
    RecordField("discovered_at", "Date it was discovered", frozenset({FieldType.DATE})),
    RecordField("area", "Area", frozenset({FieldType.SELECT}), required=True, options_from="deviation_areas"),
    RecordField("category", "Category", frozenset({FieldType.SELECT}), required=True, options_from="deviation_categories"),
    RecordField("severity", "Severity", frozenset({FieldType.SELECT}), required=True),
    RecordField("severity_rationale", "Severity rationale", TEXTS),
    RecordField("product", "Product", frozenset({FieldType.TEXT}), max_length=limits.PRODUCT),
    RecordField("batch", "Batch / lot", frozenset({FieldType.TEXT}), max_length=limits.BATCH),
    RecordField("immediate_action", "Immediate action", TEXTS),
]


def publish_problems(definition: dict) -> list[Problem]:
    """What keeps a form definition from reporting deviations (a publish check)."""
    located = {
        spec.get("key"): (["sections", s_index, "fields", f_index], spec)
        for s_index, section in enumerate(definition.get("sections") or [])
        if isinstance(section, dict)
        for f_index, spec in enumerate(section.get("fields") or [])
        if isinstance(spec, dict)
    }
    problems: list[Problem] = []
    for wanted in RECORD_FIELDS:
        if wanted.key not in located:
            if wanted.required:
                problems.append(
                    (
                        ["sections"],
                        f"A deviation report needs a required {wanted.label.lower()} field with key {wanted.key!r} "
                        f"({' or '.join(sorted(wanted.types))}).",
                        "value_error.missing",
                    )
                )
            continue
        loc, spec = located[wanted.key]
        if spec.get("type") not in wanted.types:
            problems.append(
                (
                    loc + ["type"],
                    f"The field {wanted.key!r} fills the deviation's {wanted.label.lower()}: make it "
                    f"{' or '.join(sorted(wanted.types))}.",
                    "value_error",
                )
            )
            continue
        if wanted.required and spec.get("required") is not True:
            problems.append((loc + ["required"], f"The deviation's {wanted.label.lower()} is required.", "value_error"))
        if wanted.options_from and spec.get("options_from") != wanted.options_from:
            problems.append(
                (
                    loc + ["options_from"],
                    f"The {wanted.label.lower()} choices come from the admin: set options_from to {wanted.options_from!r}.",
                    "value_error",
                )
            )
        if wanted.max_length:
            length = spec.get("max_length") or limits.DEFAULT_ANSWER_LENGTH.get(spec.get("type"), wanted.max_length)
            if isinstance(length, int) and length > wanted.max_length:
                problems.append(
                    (loc + ["max_length"], f"The deviation keeps at most {wanted.max_length} characters here.", "value_error")
                )
        if wanted.key == "severity":
            values = [o.get("value") for o in spec.get("options") or [] if isinstance(o, dict)]
            unknown = [v for v in values if v not in Severity.values]
            if spec.get("options_from") or unknown or not values:
                problems.append(
                    (
                        loc + ["options"],
                        f"Severity options are some of {', '.join(Severity.values)}"
                        + (f" (not {', '.join(map(str, unknown))})." if unknown else "."),
                        "value_error",
                    )
                )
    return problems


def record_values(cleaned: CleanedAnswers) -> dict:
    """The deviation's fields from validated answers: text as given, dates as dates, area and
    category as the active records named (a choice deactivated since the form was shown is a 422)."""
    values: dict = {}
    where = {spec["key"]: ["form_data", section["key"], spec["key"]] for section, spec in cleaned.version.fields()}
    for wanted in RECORD_FIELDS:
        value = cleaned.value(wanted.key)
        if wanted.key in ("occurred_at", "discovered_at"):
            value = datetime.date.fromisoformat(value) if value else None
        elif wanted.key not in ("area", "category"):
            value = value or ""
        values[wanted.key] = value
    problems: list[Problem] = [
        (where.get(w.key, ["form_data"]), f"The deviation needs its {w.label.lower()}.", "value_error.missing")
        for w in RECORD_FIELDS
        if w.required and w.key not in ("area", "category") and not values[w.key]
    ]
    for key, model in (("area", Area), ("category", Category)):
        found = model.objects.filter(name=values[key], is_active=True).first() if values[key] else None
        if found is None:
            msg = f"Choose an active {key} (ask QA to add it if it is missing)."
            problems.append((where.get(key, ["form_data"]), msg, "value_error.choice"))
        values[key] = found
    if problems:
        raise FormAnswersInvalid(problems)
    return values
