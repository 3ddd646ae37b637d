"""The form engine: checks a reporter's answers against a form template version.

    cleaned = validate_answers(version=version, form_data={...}, files={...}, user=reporter)

`form_data` holds the plain values by section and field key (`{"event": {"title": "..."}}`);
`files` the uploads of image and file fields by `"<section>.<field>"` (each a list). Every bad
field is reported at once as one `FormAnswersInvalid` (422) with loc
`["form_data", "<section>", "<field>"]`; an upload over the size limit or of the wrong type is 413
or 415 (the same checks as documents, `qms.files.validate_upload`), naming the field.

The answers are kept as JSON, one typed value per field (the `type` says how to read `value`):

    {"<section>": {"<field>": {"type": "<field type>", "value": ...}}}

    text, textarea, select, date   value: string or null (dates as YYYY-MM-DD)
    number                         value: number or null
    checkbox                       value: true or false
    document_picker, capa_picker   value: [{"type", "id", "number", "title", "version"}]
    image, file                    value: [{"name", "size", "mime_type", "sha256", "storage_name"}]

Nothing is written by validation. The caller stores the files inside its own transaction:

    with files.removing_on_failure() as written, transaction.atomic():
        answers = cleaned.store_files(folder=f"deviations/{deviation.pk}", written=written)

The value rules (`clean_value`) are pure functions; pickers and uploads need the database and the
uploaded content.
"""

from __future__ import annotations

import copy
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from qms import files as file_checks
from qms.errors import DomainError, InvalidInputs

from . import limits, pickers
from .error_codes import DeviationErrorCode
from .models import FILE_TYPES, PICKER_TYPES, FieldType, FormTemplate
from .options import CurrentOptions

Problem = tuple[list, str, str]

IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", ""})
# Control characters other than tab and line breaks (PostgreSQL JSON cannot even hold NUL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormAnswersInvalid(InvalidInputs):
    """Every bad answer at once, loc ["form_data", <section>, <field>]."""

    error_code = DeviationErrorCode.FORM_ANSWERS_INVALID


class ValueProblem(Exception):
    """One field's value is not acceptable: `msg` for the reporter, `type` for clients."""

    def __init__(self, msg: str, error_type: str = "value_error"):
        super().__init__(msg)
        self.msg = msg
        self.error_type = error_type


def _missing() -> ValueProblem:
    return ValueProblem("This field is required.", "value_error.missing")


# --- pure value rules --------------------------------------------------------------------------------


def is_empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw)


def max_length_of(spec: dict) -> int:
    return spec.get("max_length") or limits.DEFAULT_ANSWER_LENGTH.get(spec["type"], limits.TEXT_ANSWER)


def resolve_date_bound(bound) -> datetime.date | None:
    """A date field's min/max: an ISO date, or "today" (the server's date when the answer is checked)."""
    if bound in (None, ""):
        return None
    if bound == "today":
        return timezone.localdate()
    return datetime.date.fromisoformat(bound)


def clean_value(spec: dict, raw) -> Any:
    """The stored value of one answer, or ValueProblem. For pickers: the list of references as given
    (ids or numbers), resolved later against what the user may view. Not for image/file fields."""
    kind = spec["type"]
    if kind == FieldType.CHECKBOX:
        return _clean_checkbox(spec, raw)
    if kind in PICKER_TYPES:
        return _clean_references(spec, raw)
    if is_empty(raw):
        if spec.get("required"):
            raise _missing()
        return None
    cleaner = {
        FieldType.TEXT: _clean_text,
        FieldType.TEXTAREA: _clean_text,
        FieldType.SELECT: _clean_select,
        FieldType.NUMBER: _clean_number,
        FieldType.DATE: _clean_date,
    }[kind]
    return cleaner(spec, raw)


def _clean_text(spec: dict, raw) -> str:
    if not isinstance(raw, str):
        raise ValueProblem("Enter text.", "type_error.str")
    value = raw.strip()
    if _CONTROL.search(value) or (spec["type"] == FieldType.TEXT and ("\n" in value or "\r" in value)):
        raise ValueProblem(
            "Remove control characters" + (" and line breaks." if spec["type"] == FieldType.TEXT else "."), "value_error"
        )
    limit = max_length_of(spec)
    if len(value) > limit:
        raise ValueProblem(f"At most {limit} characters (this has {len(value)}).", "value_error.any_str.max_length")
    if spec.get("regex") and not re.fullmatch(spec["regex"], value):
        raise ValueProblem(spec.get("regex_message") or "The value does not have the expected format.", "value_error.str.regex")
    return value


def _clean_select(spec: dict, raw) -> str:
    value = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
    options = [option["value"] for option in spec.get("options", [])]
    if value not in options:
        raise ValueProblem(f"Choose one of: {', '.join(options)}.", "value_error.choice")
    return value


def _clean_number(spec: dict, raw) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise ValueProblem("Enter a number.", "type_error.number")
    if isinstance(raw, str) and len(raw) > limits.NUMBER_TEXT:
        raise ValueProblem(f"Enter a number of at most {limits.NUMBER_TEXT} characters.", "value_error.number")
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueProblem("Enter a number.", "type_error.number")
    if not number.is_finite() or abs(number) > Decimal("1e15"):
        raise ValueProblem("Enter a finite number of at most 15 digits.", "value_error.number")
    value: int | float = int(number) if number == number.to_integral_value() else float(number)
    if spec.get("min") is not None and value < spec["min"]:
        raise ValueProblem(f"Enter a number of at least {spec['min']}.", "value_error.number.not_ge")
    if spec.get("max") is not None and value > spec["max"]:
        raise ValueProblem(f"Enter a number of at most {spec['max']}.", "value_error.number.not_le")
    return value


def _clean_date(spec: dict, raw) -> str:
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if isinstance(raw, datetime.date):
        day = raw
    else:
        try:
            day = datetime.date.fromisoformat(str(raw).strip()) if len(str(raw).strip()) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValueProblem("Enter a date as YYYY-MM-DD.", "value_error.date")
    low, high = resolve_date_bound(spec.get("min")), resolve_date_bound(spec.get("max"))
    if low and day < low:
        raise ValueProblem(f"The date cannot be before {low.isoformat()}.", "value_error.date.not_ge")
    if high and day > high:
        what = "in the future" if spec.get("max") == "today" else f"after {high.isoformat()}"
        raise ValueProblem(f"The date cannot be {what}.", "value_error.date.not_le")
    return day.isoformat()


def _clean_checkbox(spec: dict, raw) -> bool:
    if isinstance(raw, bool):
        value = raw
    elif raw is None:
        value = False
    elif isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        value = raw.strip().lower() in TRUE_WORDS
    else:
        raise ValueProblem("Give true or false.", "type_error.bool")
    if spec.get("required") and not value:
        raise ValueProblem("Tick this box to continue.", "value_error.missing")
    return value


def _clean_references(spec: dict, raw) -> list:
    """Ids (integers or digit strings) or numbers (e.g. "SOP-0001"), as a list, a single value or a
    comma-separated string (what a plain text input sends)."""
    if raw is None:
        items = []
    elif isinstance(raw, str):
        items = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        items = [raw]
    if len(items) > limits.MAX_REFERENCES_PER_FIELD:
        raise ValueProblem(f"Choose at most {limits.MAX_REFERENCES_PER_FIELD} records.", "value_error.list.max_items")
    tokens: list = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise ValueProblem("Give record ids or numbers.", "type_error.reference")
        if isinstance(item, str) and len(item.strip()) > limits.LINK_TARGET:
            raise ValueProblem(f"A record number has at most {limits.LINK_TARGET} characters.", "value_error.reference")
        token = int(item) if isinstance(item, str) and item.strip().isdigit() else item
        if isinstance(token, int) and not 0 < token <= limits.shared.MAX_INT:
            raise ValueProblem("Give record ids or numbers.", "value_error.reference")
        token = token.strip().upper() if isinstance(token, str) else token
        if token not in tokens:
            tokens.append(token)
    if spec.get("required") and not tokens:
        raise _missing()
    if len(tokens) > 1 and not spec.get("multiple"):
        raise ValueProblem("Choose one record only.", "value_error.list.max_items")
    if len(tokens) > limits.MAX_REFERENCES_PER_FIELD:
        raise ValueProblem(f"Choose at most {limits.MAX_REFERENCES_PER_FIELD} records.", "value_error.list.max_items")
    return tokens


# --- answers -----------------------------------------------------------------------------------------


@dataclass
class PendingFile:
    """An upload that passed the checks and waits to be stored."""

    section: str
    field: str
    index: int
    upload: Any
    name: str
    mime_type: str


@dataclass
class CleanedAnswers:
    """Validated answers of one form version. `answers` is the JSON to keep (file entries get their
    `storage_name` when `store_files` writes them)."""

    version: FormTemplate
    answers: dict
    pending_files: list[PendingFile] = field(default_factory=list)

    def value(self, key: str):
        """The value of the field with this key (None when the form has no such field)."""
        for section in self.answers.values():
            if key in section:
                return section[key]["value"]
        return None

    def references(self, record_type: str) -> list[dict]:
        """Every picked record of one type (e.g. "document"), in form order, once each."""
        found: list[dict] = []
        for section in self.answers.values():
            for answer in section.values():
                if answer["type"] in PICKER_TYPES:
                    found.extend(r for r in answer["value"] if r["type"] == record_type and r not in found)
        return found

    def store_files(self, *, folder: str, written: list[str]) -> dict:
        """Writes the uploads to storage under `folder` and returns the answers to keep. Call inside
        the transaction that keeps them, with `written` from `qms.files.removing_on_failure()`,
        so that a failed transaction leaves no file behind."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("Store form files inside the transaction that keeps the answers.")
        answers = copy.deepcopy(self.answers)
        for pending in self.pending_files:
            name = file_checks.store(f"{folder}/{pending.section}-{pending.field}/{pending.name}", pending.upload)
            written.append(name)
            answers[pending.section][pending.field]["value"][pending.index]["storage_name"] = name
        return answers


def validate_answers(*, version: FormTemplate, form_data: dict, files: dict | None = None, user) -> CleanedAnswers:
    """Checks every answer against `version` for `user` (pickers only accept records the user may
    view). Uploads are checked first (413/415 name the field); then every other problem is raised
    together as FormAnswersInvalid."""
    files = files or {}
    problems: list[Problem] = []
    if not isinstance(form_data, dict):
        raise FormAnswersInvalid([(["form_data"], "Send the answers as an object by section and field key.", "type_error.dict")])
    oversized = _oversized(form_data, files)
    if oversized:
        raise FormAnswersInvalid(oversized)
    pending, upload_problems = _check_uploads(version, files)
    problems.extend(_unknown_keys(version, form_data, files))
    problems.extend(upload_problems)
    answers: dict = {}
    references: list[tuple[dict, dict, list]] = []
    current = CurrentOptions()
    for section, spec in version.fields():
        spec = current.resolved(spec)
        given = form_data.get(section["key"])
        given = given if isinstance(given, dict) else {}
        loc = ["form_data", section["key"], spec["key"]]
        slot = answers.setdefault(section["key"], {})
        if spec["type"] in FILE_TYPES:
            uploads = [p for p in pending if p.section == section["key"] and p.field == spec["key"]]
            if spec.get("required") and not uploads and not any(p[0] == loc for p in problems):
                problems.append(
                    (loc, "Attach a file." if spec["type"] == FieldType.FILE else "Attach an image.", "value_error.missing")
                )
            slot[spec["key"]] = {"type": spec["type"], "value": [_file_entry(p) for p in uploads]}
            continue
        raw = given[spec["key"]] if spec["key"] in given else spec.get("default")
        try:
            value = clean_value(spec, raw)
        except ValueProblem as problem:
            problems.append((loc, problem.msg, problem.error_type))
            value = [] if spec["type"] in PICKER_TYPES else None
        slot[spec["key"]] = {"type": spec["type"], "value": value}
        if spec["type"] in PICKER_TYPES and value:
            references.append((section, spec, value))
    problems.extend(_resolve_references(references, answers, user))
    if problems:
        raise FormAnswersInvalid(problems)
    return CleanedAnswers(version=version, answers=answers, pending_files=pending)


def _oversized(form_data: dict, files: dict) -> list[Problem]:
    """More sections, answers or file parts than any form can have (limits.MAX_SECTIONS and
    MAX_FIELDS): one problem instead of one per unknown key."""
    if len(form_data) > limits.MAX_SECTIONS:
        return [(["form_data"], f"A form has at most {limits.MAX_SECTIONS} sections.", "value_error.list.max_items")]
    answers = sum(len(values) for values in form_data.values() if isinstance(values, dict))
    if answers + len(files) > limits.MAX_FIELDS:
        return [(["form_data"], f"A form has at most {limits.MAX_FIELDS} fields.", "value_error.list.max_items")]
    return []


def _unknown_keys(version: FormTemplate, form_data: dict, files: dict) -> list[Problem]:
    known = {section["key"]: {f["key"]: f for f in section.get("fields", [])} for section in version.sections}
    problems: list[Problem] = []
    for section_key, values in form_data.items():
        if section_key not in known:
            problems.append((["form_data", section_key], f"The form has no section {section_key!r}.", "value_error.unknown"))
            continue
        if not isinstance(values, dict):
            problems.append((["form_data", section_key], "Send this section's answers as an object.", "type_error.dict"))
            continue
        for field_key, value in values.items():
            spec = known[section_key].get(field_key)
            if spec is None:
                problems.append(
                    (
                        ["form_data", section_key, field_key],
                        f"Section {section_key!r} has no field {field_key!r}.",
                        "value_error.unknown",
                    )
                )
            elif spec["type"] in FILE_TYPES and not is_empty(value):
                problems.append(
                    (
                        ["form_data", section_key, field_key],
                        f"Upload the files of this field as parts named {section_key}.{field_key}.",
                        "value_error.upload",
                    )
                )
    for name in files:
        section_key, _, field_key = str(name).partition(".")
        spec = known.get(section_key, {}).get(field_key)
        if spec is None or spec["type"] not in FILE_TYPES:
            problems.append(
                (
                    ["form_data", section_key, field_key] if field_key else ["form_data", name],
                    f"No image or file field {name!r}.",
                    "value_error.unknown",
                )
            )
    return problems


def _check_uploads(version: FormTemplate, files: dict) -> tuple[list[PendingFile], list[Problem]]:
    """Size and content type of every upload (documents' checks; images must be PNG or JPEG): 413 or
    415 at the first bad one. Too many files for a field is a problem like any other."""
    pending: list[PendingFile] = []
    problems: list[Problem] = []
    for section, spec in version.fields():
        if spec["type"] not in FILE_TYPES:
            continue
        uploads = [u for u in files.get(f"{section['key']}.{spec['key']}", []) if u is not None]
        loc = ["form_data", section["key"], spec["key"]]
        limit = limits.MAX_FILES_PER_FIELD if spec.get("multiple") else 1
        if len(uploads) > limit:
            problems.append((loc, f"Attach at most {limit} file{'s' if limit > 1 else ''} here.", "value_error.list.max_items"))
            continue
        for index, upload in enumerate(uploads):
            name, mime = _checked_upload(spec, upload, loc)
            pending.append(PendingFile(section["key"], spec["key"], index, upload, name, mime))
    return pending, problems


def _checked_upload(spec: dict, upload, loc: list) -> tuple[str, str]:
    try:
        name, mime = file_checks.validate_upload(upload)
        if spec["type"] == FieldType.IMAGE and mime not in IMAGE_TYPES:
            raise file_checks.UnsupportedFileType(
                f"{name!r} is not an image: this field accepts PNG and JPEG images.",
                extra={"detected_type": mime, "expected_type": "image/png or image/jpeg"},
            )
    except DomainError as exc:
        label = spec.get("label") or spec["key"]
        raise type(exc)(f"{label}: {exc.detail}", error_code=exc.error_code, extra={**exc.extra, "loc": loc}) from exc
    return name, mime


def _file_entry(pending: PendingFile) -> dict:
    return {
        "name": pending.name,
        "size": pending.upload.size,
        "mime_type": pending.mime_type,
        "sha256": file_checks.sha256_of(pending.upload),
        "storage_name": None,
    }


def _resolve_references(references: list[tuple[dict, dict, list]], answers: dict, user) -> list[Problem]:
    """Replaces picked ids/numbers by references to records the user may view; one lookup per picker
    type, whatever the number of fields."""
    problems: list[Problem] = []
    by_type: dict[str, list] = {}
    for _, spec, tokens in references:
        by_type.setdefault(spec["type"], []).extend(tokens)
    resolved = {kind: pickers.picker_for(kind).resolve(user, tokens) for kind, tokens in by_type.items()}
    for section, spec, tokens in references:
        picker = pickers.picker_for(spec["type"])
        loc = ["form_data", section["key"], spec["key"]]
        if not picker.available:
            problems.append((loc, picker.unavailable_reason, "value_error.unavailable"))
            answers[section["key"]][spec["key"]]["value"] = []
            continue
        found = resolved[spec["type"]]
        missing = [str(t) for t in tokens if t not in found]
        if missing:
            problems.append((loc, f"No {picker.record_label} {', '.join(missing)} that you may view.", "value_error.reference"))
        answers[section["key"]][spec["key"]]["value"] = _unique([found[t] for t in tokens if t in found])
    return problems


def _unique(refs: list[dict]) -> list[dict]:
    out: list[dict] = []
    for ref in refs:
        if ref not in out:
            out.append(ref)
    return out
