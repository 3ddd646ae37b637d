"""Document templates: typed variables, sandboxed `{{ variable }}` substitution, and the DOCX or
PDF file made from the rendered Markdown.

Rendering never executes template code: bodies are not Django or Jinja templates. The only syntax
is `{{ name }}`, replaced in a single pass by the validated value (a value that itself contains
`{{ ... }}` stays literal text). Everything else in the body is copied as written.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from qms.errors import InvalidInputs

from .error_codes import ErrorCode

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
PARAMETER_TYPES = ("string", "number", "date", "email", "choice")
MAX_VALUE_LENGTH = 5000

Problem = tuple[list, str, str]


class TemplateVariablesInvalid(InvalidInputs):
    error_code = ErrorCode.TEMPLATE_VARIABLES_INVALID


class TemplateDefinitionInvalid(InvalidInputs):
    error_code = ErrorCode.TEMPLATE_INVALID


def placeholders(body: str) -> list[str]:
    seen: list[str] = []
    for name in PLACEHOLDER.findall(body or ""):
        if name not in seen:
            seen.append(name)
    return seen


# --- template definitions ----------------------------------------------------------------------------


def normalise_variables(variables: list[dict]) -> list[dict]:
    out = []
    for spec in variables:
        item = {
            "name": spec.get("name"),
            "parameter_type": spec.get("parameter_type", "string"),
            "is_required": bool(spec.get("is_required", False)),
            "default_value": spec.get("default_value"),
            "description": spec.get("description", "") or "",
        }
        if item["parameter_type"] == "choice":
            item["choices"] = list(spec.get("choices") or [])
        out.append(item)
    return out


def check_template(body: str, variables: list[dict]) -> None:
    """Raises TemplateDefinitionInvalid listing every problem of a template's body and variables."""
    problems: list[Problem] = []
    names: set[str] = set()
    for index, spec in enumerate(variables):
        loc = ["variables", index]
        name = spec.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            problems.append((loc + ["name"], "A variable name is a letter or _ followed by letters, digits or _.", "value_error"))
        elif name in names:
            problems.append((loc + ["name"], f"Variable {name!r} is declared twice.", "value_error"))
        names.add(name)
        ptype = spec.get("parameter_type")
        if ptype not in PARAMETER_TYPES:
            problems.append(
                (loc + ["parameter_type"], f"parameter_type must be one of {', '.join(PARAMETER_TYPES)}.", "value_error")
            )
            continue
        if ptype == "choice":
            choices = spec.get("choices")
            if not choices or not all(isinstance(c, str) and c for c in choices):
                problems.append((loc + ["choices"], "A choice variable needs a list of non-empty strings.", "value_error"))
                continue
        default = spec.get("default_value")
        if default is not None:
            _, error = coerce(spec, default)
            if error:
                problems.append((loc + ["default_value"], f"Default value: {error}", "value_error"))
    for name in placeholders(body):
        if name not in names:
            problems.append((["body"], f"The body uses {{{{ {name} }}}} but no variable {name!r} is declared.", "value_error"))
    if not (body or "").strip():
        problems.append((["body"], "The body is empty.", "value_error.missing"))
    if problems:
        raise TemplateDefinitionInvalid(problems)


# --- values -------------------------------------------------------------------------------------------


def coerce(spec: dict, value) -> tuple[str | None, str | None]:
    """(rendered text, None) for a valid value, (None, error message) otherwise."""
    ptype = spec.get("parameter_type", "string")
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return None, f"expected a {ptype}, got {type(value).__name__ if value is not None else 'null'}."
    if ptype == "number":
        if isinstance(value, (int, float)):
            number = Decimal(str(value))
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                return None, f"expected a number, got {value!r}."
        else:
            return None, "expected a number."
        if not number.is_finite():
            return None, "expected a finite number."
        text = format(number.normalize(), "f") if number == number.to_integral() else format(number, "f")
        return text, None
    if not isinstance(value, str):
        return None, f"expected a {ptype} given as a string, got {type(value).__name__}."
    value = value.strip()
    if len(value) > MAX_VALUE_LENGTH:
        return None, f"at most {MAX_VALUE_LENGTH} characters."
    if ptype == "string":
        return value, None
    if ptype == "date":
        try:
            return datetime.date.fromisoformat(value).isoformat(), None
        except ValueError:
            return None, f"expected a date as YYYY-MM-DD, got {value!r}."
    if ptype == "email":
        try:
            validate_email(value)
        except ValidationError:
            return None, f"expected an email address, got {value!r}."
        return value, None
    if ptype == "choice":
        choices = spec.get("choices") or []
        if value not in choices:
            return None, f"must be one of {', '.join(choices)}."
        return value, None
    return None, f"unknown parameter type {ptype!r}."


def resolve_values(variables: list[dict], given: dict) -> dict[str, str]:
    """Checks the supplied values against the declared variables: each missing required one,
    each undeclared one and each of the wrong type is reported (422 naming every variable)."""
    problems: list[Problem] = []
    declared = {spec["name"]: spec for spec in variables}
    for name in given:
        if name not in declared:
            problems.append(
                (
                    ["variables", name],
                    f"{name!r} is not a variable of this template (declared: {', '.join(declared) or 'none'}).",
                    "value_error.extra",
                )
            )
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given and given[name] not in (None, ""):
            text, error = coerce(spec, given[name])
            if error:
                problems.append((["variables", name], f"{name}: {error}", "type_error"))
            else:
                values[name] = text
        elif spec.get("default_value") is not None:
            values[name], _ = coerce(spec, spec["default_value"])
        elif spec.get("is_required"):
            problems.append((["variables", name], f"{name} is required.", "value_error.missing"))
        else:
            values[name] = ""
    if problems:
        raise TemplateVariablesInvalid(problems)
    return values


def render(body: str, values: dict[str, str]) -> str:
    """Single-pass substitution of declared placeholders; nothing else is interpreted."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


# --- files ----------------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _blocks(markdown: str):
    """(kind, level, text) for headings, bullets, numbered items and paragraphs."""
    paragraph: list[str] = []
    for line in markdown.splitlines():
        heading, bullet, numbered = _HEADING.match(line), _BULLET.match(line), _NUMBERED.match(line)
        if not line.strip() or heading or bullet or numbered:
            if paragraph:
                yield ("p", 0, " ".join(paragraph))
                paragraph = []
        if heading:
            yield ("h", len(heading.group(1)), heading.group(2).strip())
        elif bullet:
            yield ("li", 0, bullet.group(1).strip())
        elif numbered:
            yield ("ol", 0, numbered.group(1).strip())
        elif line.strip():
            paragraph.append(line.strip())
    if paragraph:
        yield ("p", 0, " ".join(paragraph))


def to_docx(markdown: str, *, title: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title[:255]
    for kind, level, text in _blocks(markdown):
        if kind == "h":
            document.add_heading(_BOLD.sub(r"\1", text), level=min(level, 4))
            continue
        style = {"li": "List Bullet", "ol": "List Number"}.get(kind)
        paragraph = document.add_paragraph(style=style)
        for index, part in enumerate(_BOLD.split(text)):
            if part:
                paragraph.add_run(part).bold = index % 2 == 1
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_pdf(markdown: str, *, title: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    story = []
    pending: list = []
    pending_kind = None

    def flush():
        nonlocal pending, pending_kind
        if pending:
            story.append(ListFlowable(pending, bulletType="bullet" if pending_kind == "li" else "1"))
        pending, pending_kind = [], None

    for kind, level, text in _blocks(markdown):
        markup = _BOLD.sub(r"<b>\1</b>", _escape(text))
        if kind in ("li", "ol"):
            if pending_kind not in (None, kind):
                flush()
            pending_kind = kind
            pending.append(ListItem(Paragraph(markup, styles["BodyText"])))
            continue
        flush()
        style = styles[f"Heading{min(level, 4)}"] if kind == "h" else styles["BodyText"]
        story.append(Paragraph(markup, style))
    flush()
    doc = SimpleDocTemplate(out, pagesize=A4, title=title[:255], author="QMS")
    doc.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
