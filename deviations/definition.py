"""The definition of a form template version and its rules (pure functions, no database).

    {"name": "Standard deviation report", "description": "...",
     "sections": [{"key": "event", "title": "Event", "description": "",
                   "fields": [{"key": "title", "label": "Title", "type": "text", ...}]}]}

A field has: key, label, type, help_text, required, options (select: [{"value", "label"}]) or
options_from (select: a registered source of current choices, e.g. "deviation_categories"; see
deviations/options.py), default, min/max (number: numbers; date: YYYY-MM-DD or "today"), max_length and regex with
regex_message (text, textarea), multiple (pickers, image, file) and suggest (a named suggester,
e.g. "severity" on a select). Keys are lower-case identifiers; section keys are unique in the
form and field keys are unique across the whole form, so a field can be found by its key alone.

`definition_problems` lists every problem with its location; the services refuse a definition
with problems (422). The editing helpers (`add_field`, `move_field`, ...) return a changed copy
for the page editor, which saves it through the same service as the API.
"""

from __future__ import annotations

import copy
import datetime
import math
import re
from collections.abc import Callable

from qms.errors import InvalidInput

from . import limits, pickers
from . import options as option_sources
from .forms_engine import ValueProblem, clean_value
from .models import FILE_TYPES, PICKER_TYPES, FieldType, FormTemplate

Problem = tuple[list, str, str]

KEY = re.compile(rf"^[a-z][a-z0-9_]{{0,{limits.KEY - 1}}}$")
FIELD_TYPES = [t.value for t in FieldType]
BOUNDED_TYPES = {FieldType.NUMBER, FieldType.DATE}
TEXT_TYPES = {FieldType.TEXT, FieldType.TEXTAREA}
MULTIPLE_TYPES = PICKER_TYPES | FILE_TYPES

# Suggesters a field may ask for (the suggestion itself comes from the named service).
SUGGESTERS: dict[str, dict] = {
    "severity": {
        "label": "Severity classification",
        "types": {FieldType.SELECT},
        "description": "Suggests the severity from the deviation's description (POST /api/deviations/suggest-severity).",
    },
}

FIELD_KEYS = [
    "key",
    "label",
    "type",
    "help_text",
    "required",
    "options",
    "options_from",
    "default",
    "min",
    "max",
    "max_length",
    "regex",
    "regex_message",
    "multiple",
    "suggest",
]

_PUBLISH_CHECKS: list[Callable[[dict], list[Problem]]] = []


def register_publish_check(check: Callable[[dict], list[Problem]]) -> None:
    """Adds a rule a definition must meet to be published, e.g. the deviation record requiring a
    severity field: `check(definition) -> [(loc, msg, type), ...]`."""
    if check not in _PUBLISH_CHECKS:
        _PUBLISH_CHECKS.append(check)


def unregister_publish_check(check) -> None:
    if check in _PUBLISH_CHECKS:
        _PUBLISH_CHECKS.remove(check)


# --- shape -------------------------------------------------------------------------------------------


def definition_of(template: FormTemplate) -> dict:
    return {"name": template.name, "description": template.description, "sections": copy.deepcopy(template.sections)}


def normalise(definition: dict) -> dict:
    """The definition with every attribute present (defaults filled in, options as {value, label});
    values of the wrong type are kept as given, for `definition_problems` to report."""
    sections = definition.get("sections")
    return {
        "name": _stripped(definition.get("name")),
        "description": _stripped(definition.get("description")) or "",
        "sections": [_normalise_section(s) for s in sections] if isinstance(sections, list) else sections,
    }


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _normalise_section(section) -> dict:
    if not isinstance(section, dict):
        return section
    fields = section.get("fields", [])
    return {
        "key": _stripped(section.get("key")),
        "title": _stripped(section.get("title")),
        "description": _stripped(section.get("description")) or "",
        "fields": [_normalise_field(f) for f in fields] if isinstance(fields, list) else fields,
    }


def _normalise_field(spec) -> dict:
    if not isinstance(spec, dict):
        return spec
    out = {
        "key": _stripped(spec.get("key")),
        "label": _stripped(spec.get("label")),
        "type": spec.get("type"),
        "help_text": _stripped(spec.get("help_text")) or "",
        "required": spec.get("required", False),
        "options": [_normalise_option(o) for o in spec.get("options") or []]
        if isinstance(spec.get("options") or [], list)
        else spec.get("options"),
        "options_from": _none_if_blank(spec.get("options_from")),
        "default": spec.get("default"),
        "min": _none_if_blank(spec.get("min")),
        "max": _none_if_blank(spec.get("max")),
        "max_length": spec.get("max_length"),
        "regex": _none_if_blank(spec.get("regex")),
        "regex_message": _stripped(spec.get("regex_message")) or "",
        "multiple": spec.get("multiple", False),
        "suggest": _none_if_blank(spec.get("suggest")),
    }
    if out["options_from"] is not None and isinstance(out["options"], list):
        out["options"] = []  # the source's current choices are shown on read, never stored
    return out


def _normalise_option(option):
    if isinstance(option, str):
        return {"value": option.strip(), "label": option.strip()}
    if isinstance(option, dict):
        value = _stripped(option.get("value"))
        return {"value": value, "label": _stripped(option.get("label")) or value}
    return option


def _none_if_blank(value):
    return None if value is None or (isinstance(value, str) and not value.strip()) else _stripped(value)


# --- rules -------------------------------------------------------------------------------------------


def definition_problems(definition: dict, *, for_publish: bool = False) -> list[Problem]:
    """Every problem of a (normalised) definition, located like the request body:
    (["sections", 0, "fields", 2, "options"], "A select needs at least one option.", "value_error")."""
    problems: list[Problem] = []
    _check_text(problems, ["name"], definition.get("name"), limits.FORM_NAME, required=True)
    _check_text(problems, ["description"], definition.get("description"), limits.FORM_DESCRIPTION)
    sections = definition.get("sections")
    if not isinstance(sections, list):
        return problems + [(["sections"], "Give the sections as a list.", "type_error.list")]
    if len(sections) > limits.MAX_SECTIONS:
        problems.append((["sections"], f"A form has at most {limits.MAX_SECTIONS} sections.", "value_error.list.max_items"))
    section_keys: set[str] = set()
    field_keys: set[str] = set()
    field_count = 0
    for s_index, section in enumerate(sections):
        loc = ["sections", s_index]
        if not isinstance(section, dict):
            problems.append((loc, "Give each section as an object.", "type_error.dict"))
            continue
        _check_key(problems, loc + ["key"], section.get("key"), section_keys, "section")
        _check_text(problems, loc + ["title"], section.get("title"), limits.LABEL, required=True)
        _check_text(problems, loc + ["description"], section.get("description"), limits.HELP_TEXT)
        fields = section.get("fields")
        if not isinstance(fields, list):
            problems.append((loc + ["fields"], "Give the fields as a list.", "type_error.list"))
            continue
        for f_index, spec in enumerate(fields):
            field_count += 1
            problems.extend(field_problems(spec, loc + ["fields", f_index], field_keys))
    if field_count > limits.MAX_FIELDS:
        problems.append((["sections"], f"A form has at most {limits.MAX_FIELDS} fields.", "value_error.list.max_items"))
    if for_publish:
        if field_count == 0:
            problems.append((["sections"], "Add at least one field before publishing.", "value_error.missing"))
        for check in _PUBLISH_CHECKS:
            problems.extend(check(definition))
    return problems


def field_problems(spec, loc: list, seen_keys: set[str]) -> list[Problem]:
    """The problems of one field definition (its key is checked against, and added to, seen_keys)."""
    problems: list[Problem] = []
    if not isinstance(spec, dict):
        return [(loc, "Give each field as an object.", "type_error.dict")]
    _check_key(problems, loc + ["key"], spec.get("key"), seen_keys, "field")
    _check_text(problems, loc + ["label"], spec.get("label"), limits.LABEL, required=True)
    _check_text(problems, loc + ["help_text"], spec.get("help_text"), limits.HELP_TEXT)
    kind = spec.get("type")
    if kind not in FIELD_TYPES:
        return problems + [(loc + ["type"], f"type must be one of {', '.join(FIELD_TYPES)}.", "value_error.choice")]
    for name in ("required", "multiple"):
        if not isinstance(spec.get(name), bool):
            problems.append((loc + [name], f"{name} is true or false.", "type_error.bool"))
    problems.extend(_option_problems(spec, loc))
    problems.extend(_bound_problems(spec, loc))
    problems.extend(_text_rule_problems(spec, loc))
    if spec.get("multiple") is True and kind not in MULTIPLE_TYPES:
        problems.append((loc + ["multiple"], "Only pickers, image and file fields take several values.", "value_error"))
    suggest = spec.get("suggest")
    if suggest is not None:
        if suggest not in SUGGESTERS:
            problems.append(
                (loc + ["suggest"], f"suggest must be one of {', '.join(SUGGESTERS)} (or empty).", "value_error.choice")
            )
        elif kind not in SUGGESTERS[suggest]["types"]:
            allowed = ", ".join(sorted(SUGGESTERS[suggest]["types"]))
            problems.append((loc + ["suggest"], f"The {suggest} suggestion fits {allowed} fields only.", "value_error"))
    if kind in PICKER_TYPES and spec.get("required") is True and not pickers.picker_for(kind).available:
        problems.append(
            (
                loc + ["required"],
                pickers.picker_for(kind).unavailable_reason.split(":")[0] + ": it cannot be required.",
                "value_error",
            )
        )
    problems.extend(_default_problems(spec, loc, problems))
    return problems


def _check_key(problems: list, loc: list, key, seen: set[str], what: str) -> None:
    if not isinstance(key, str) or not KEY.match(key):
        problems.append(
            (loc, "A key is a lower-case letter followed by up to 49 lower-case letters, digits or _.", "value_error.str.regex")
        )
    elif key in seen:
        problems.append((loc, f"The {what} key {key!r} is used twice; keys are unique in a form.", "value_error.duplicate"))
    else:
        seen.add(key)


def _check_text(problems: list, loc: list, value, limit: int, *, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            problems.append((loc, "This field is required.", "value_error.missing"))
    elif not isinstance(value, str):
        problems.append((loc, "Enter text.", "type_error.str"))
    elif len(value) > limit:
        problems.append((loc, f"At most {limit} characters.", "value_error.any_str.max_length"))


def _option_problems(spec: dict, loc: list) -> list[Problem]:
    options, source = spec.get("options"), spec.get("options_from")
    if spec["type"] != FieldType.SELECT:
        if source is not None:
            return [(loc + ["options_from"], "Only select fields take their options from a source.", "value_error")]
        return [(loc + ["options"], "Only select fields have options.", "value_error")] if options else []
    if source is not None:
        if not option_sources.is_source(source):
            names = ", ".join(sorted(option_sources.sources())) or "none"
            return [(loc + ["options_from"], f"options_from must be one of: {names}.", "value_error.choice")]
        return []
    if not isinstance(options, list) or not options:
        return [(loc + ["options"], "A select needs at least one option.", "value_error.missing")]
    if len(options) > limits.MAX_OPTIONS:
        return [(loc + ["options"], f"At most {limits.MAX_OPTIONS} options.", "value_error.list.max_items")]
    problems: list[Problem] = []
    values: set[str] = set()
    for index, option in enumerate(options):
        value = option.get("value") if isinstance(option, dict) else None
        label = option.get("label") if isinstance(option, dict) else None
        if not isinstance(value, str) or not value or len(value) > limits.OPTION_VALUE:
            problems.append(
                (
                    loc + ["options", index],
                    f"An option is a value of 1 to {limits.OPTION_VALUE} characters (with an optional label).",
                    "value_error",
                )
            )
        elif value in values:
            problems.append((loc + ["options", index], f"The option {value!r} is listed twice.", "value_error.duplicate"))
        elif not isinstance(label, str) or len(label) > limits.LABEL:
            problems.append((loc + ["options", index], f"An option label has at most {limits.LABEL} characters.", "value_error"))
        values.add(value)
    return problems


def _bound_problems(spec: dict, loc: list) -> list[Problem]:
    kind, problems = spec["type"], []
    bounds = {}
    for name in ("min", "max"):
        value = spec.get(name)
        if value is None:
            continue
        if kind not in BOUNDED_TYPES:
            problems.append((loc + [name], "Only number and date fields have a minimum or maximum.", "value_error"))
        elif kind == FieldType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append((loc + [name], "Give a number.", "type_error.number"))
            else:
                bounds[name] = value
        elif value == "today":
            bounds[name] = datetime.date.max if name == "max" else datetime.date.min
        else:
            try:
                bounds[name] = datetime.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
            except ValueError:
                bounds[name] = None
            if bounds[name] is None:
                problems.append((loc + [name], 'Give a date as YYYY-MM-DD, or "today".', "value_error.date"))
                del bounds[name]
    if len(bounds) == 2 and spec.get("min") != "today" and spec.get("max") != "today" and bounds["min"] > bounds["max"]:
        problems.append((loc + ["min"], "The minimum is above the maximum.", "value_error"))
    return problems


def _text_rule_problems(spec: dict, loc: list) -> list[Problem]:
    kind, problems = spec["type"], []
    max_length, regex = spec.get("max_length"), spec.get("regex")
    if max_length is not None:
        cap = limits.TEXT_ANSWER if kind == FieldType.TEXT else limits.TEXTAREA_ANSWER
        if kind not in TEXT_TYPES:
            problems.append((loc + ["max_length"], "Only text fields have a maximum length.", "value_error"))
        elif isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= cap:
            problems.append((loc + ["max_length"], f"Give a length from 1 to {cap}.", "value_error"))
    if regex is not None:
        if kind not in TEXT_TYPES:
            problems.append((loc + ["regex"], "Only text fields have a pattern.", "value_error"))
        elif not isinstance(regex, str) or len(regex) > limits.REGEX:
            problems.append((loc + ["regex"], f"A pattern has at most {limits.REGEX} characters.", "value_error"))
        else:
            try:
                re.compile(regex)
            except re.error as exc:
                problems.append((loc + ["regex"], f"Not a valid regular expression: {exc}.", "value_error.regex"))
    if spec.get("regex_message") and regex is None:
        problems.append((loc + ["regex_message"], "A pattern message needs a pattern.", "value_error"))
    elif not isinstance(spec.get("regex_message"), str) or len(spec["regex_message"]) > limits.LABEL:
        problems.append((loc + ["regex_message"], f"At most {limits.LABEL} characters.", "value_error"))
    return problems


def _default_problems(spec: dict, loc: list, earlier: list[Problem]) -> list[Problem]:
    default = spec.get("default")
    if default is None:
        return []
    if spec["type"] in PICKER_TYPES | FILE_TYPES:
        return [(loc + ["default"], "Pickers, image and file fields have no default.", "value_error")]
    if any(p[0][: len(loc)] == loc and p[0][len(loc) :] not in (["key"], ["label"], ["help_text"]) for p in earlier):
        return []  # the default cannot be judged against rules that are themselves wrong
    try:
        clean_value({**option_sources.CurrentOptions().resolved(spec), "required": False}, default)
    except ValueProblem as problem:
        return [(loc + ["default"], f"The default is not a valid answer: {problem.msg}", "value_error")]
    return []


# --- editing (the page editor) -------------------------------------------------------------------------


def _section(definition: dict, key: str) -> dict:
    for section in definition["sections"]:
        if section["key"] == key:
            return section
    raise InvalidInput(f"The form has no section {key!r}.", field="section")


def _locate_field(definition: dict, key: str) -> tuple[dict, int]:
    for section in definition["sections"]:
        for index, spec in enumerate(section["fields"]):
            if spec["key"] == key:
                return section, index
    raise InvalidInput(f"The form has no field {key!r}.", field="key")


def add_section(definition: dict, section: dict) -> dict:
    out = copy.deepcopy(definition)
    out["sections"].append(_normalise_section({**section, "fields": []}))
    return out


def update_section(definition: dict, key: str, changes: dict) -> dict:
    out = copy.deepcopy(definition)
    section = _section(out, key)
    section.update(_normalise_section({**section, **changes, "fields": section["fields"]}))
    return out


def remove_section(definition: dict, key: str) -> dict:
    out = copy.deepcopy(definition)
    out["sections"].remove(_section(out, key))
    return out


def move_section(definition: dict, key: str, step: int) -> dict:
    out = copy.deepcopy(definition)
    section = _section(out, key)
    index = out["sections"].index(section)
    target = min(max(index + step, 0), len(out["sections"]) - 1)
    out["sections"].insert(target, out["sections"].pop(index))
    return out


def add_field(definition: dict, section_key: str, spec: dict) -> dict:
    out = copy.deepcopy(definition)
    _section(out, section_key)["fields"].append(_normalise_field(spec))
    return out


def update_field(definition: dict, key: str, spec: dict) -> dict:
    out = copy.deepcopy(definition)
    section, index = _locate_field(out, key)
    section["fields"][index] = _normalise_field(spec)
    return out


def remove_field(definition: dict, key: str) -> dict:
    out = copy.deepcopy(definition)
    section, index = _locate_field(out, key)
    del section["fields"][index]
    return out


def move_field(definition: dict, key: str, step: int) -> dict:
    """Moves a field one place up (step -1) or down (+1); past the first or last place of its
    section it moves to the end of the previous or the start of the next section."""
    out = copy.deepcopy(definition)
    section, index = _locate_field(out, key)
    sections = out["sections"]
    s_index, target = sections.index(section), index + step
    if 0 <= target < len(section["fields"]):
        section["fields"].insert(target, section["fields"].pop(index))
    elif target < 0 and s_index > 0:
        sections[s_index - 1]["fields"].append(section["fields"].pop(index))
    elif target >= len(section["fields"]) and s_index < len(sections) - 1:
        sections[s_index + 1]["fields"].insert(0, section["fields"].pop(index))
    return out
