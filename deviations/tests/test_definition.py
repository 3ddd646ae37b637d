"""Form definitions: every problem listed with its location, the shipped default form, and the
editing helpers the page editor uses."""

import pytest

from deviations import definition as d
from deviations import reporting
from deviations.defaults import STANDARD_DEVIATION_REPORT
from deviations.models import FormStatus, FormTemplate

from .factories import definition, field, section


def locs(problems) -> dict:
    return {tuple(loc): msg for loc, msg, _ in problems}


def test_every_problem_of_a_definition_is_listed_with_its_location(capa_module_absent):
    problems = d.definition_problems(
        definition(
            section(
                "event",
                field("title", required=True),
                field("Title"),
                field("title"),
                field("severity", "select"),
                field("units", "number", min=10, max=1, options=["a"]),
                field("when", "date", max="tomorrow"),
                field("batch", regex="B[0-9", max_length=5000),
                field("kind", "select", options=["A", "A"], default="B", suggest="severity"),
                field("notes", "textarea", suggest="severity", multiple=True),
                field("link", "document_picker", default=3),
                field("capa", "capa_picker", required=True),
                field("odd", "colour"),
            ),
            {"key": "event", "title": "", "fields": []},
            name="",
        )
    )
    assert locs(problems) == {
        ("name",): "This field is required.",
        ("sections", 0, "fields", 1, "key"): "A key is a lower-case letter followed by up to 49 lower-case letters, digits or _.",
        ("sections", 0, "fields", 2, "key"): "The field key 'title' is used twice; keys are unique in a form.",
        ("sections", 0, "fields", 3, "options"): "A select needs at least one option.",
        ("sections", 0, "fields", 4, "options"): "Only select fields have options.",
        ("sections", 0, "fields", 4, "min"): "The minimum is above the maximum.",
        ("sections", 0, "fields", 5, "max"): 'Give a date as YYYY-MM-DD, or "today".',
        ("sections", 0, "fields", 6, "max_length"): "Give a length from 1 to 1000.",
        ("sections", 0, "fields", 6, "regex"): "Not a valid regular expression: unterminated character set at position 1.",
        ("sections", 0, "fields", 7, "options", 1): "The option 'A' is listed twice.",
        ("sections", 0, "fields", 8, "suggest"): "The severity suggestion fits select fields only.",
        ("sections", 0, "fields", 8, "multiple"): "Only pickers, image and file fields take several values.",
        ("sections", 0, "fields", 9, "default"): "Pickers, image and file fields have no default.",
        ("sections", 0, "fields", 10, "required"): "CAPAs are not available yet: it cannot be required.",
        ("sections", 0, "fields", 11, "type"): (
            "type must be one of text, textarea, select, number, date, checkbox, document_picker, capa_picker, image, file."
        ),
        ("sections", 1, "key"): "The section key 'event' is used twice; keys are unique in a form.",
        ("sections", 1, "title"): "This field is required.",
    }


def test_a_default_must_be_a_valid_answer_of_its_field():
    problems = d.definition_problems(
        definition(
            section(
                "event",
                field("severity", "select", options=["Low", "High"], default="Medium"),
                field("units", "number", min=0, default=-5),
                field("ok", "select", options=["Low", "High"], default="Low"),
            )
        )
    )
    assert locs(problems) == {
        ("sections", 0, "fields", 0, "default"): "The default is not a valid answer: Choose one of: Low, High.",
        ("sections", 0, "fields", 1, "default"): "The default is not a valid answer: Enter a number of at least 0.",
    }


@pytest.fixture
def without_the_record_check():
    """Only the checks a test registers (the deviation record's own check is tested in test_reporting)."""
    d.unregister_publish_check(reporting.publish_problems)
    yield
    d.register_publish_check(reporting.publish_problems)


def test_publishing_needs_at_least_one_field_and_the_registered_checks(without_the_record_check):
    empty = definition(section("event"))
    assert d.definition_problems(empty) == []
    assert locs(d.definition_problems(empty, for_publish=True)) == {("sections",): "Add at least one field before publishing."}

    def needs_severity(definition):
        keys = {f["key"] for s in definition["sections"] for f in s["fields"]}
        return (
            [] if "severity" in keys else [(["sections"], "The deviation record needs a severity field.", "value_error.missing")]
        )

    d.register_publish_check(needs_severity)
    try:
        assert locs(d.definition_problems(definition(), for_publish=True)) == {
            ("sections",): "The deviation record needs a severity field."
        }
    finally:
        d.unregister_publish_check(needs_severity)


@pytest.mark.django_db
def test_the_standard_deviation_report_ships_active_and_complete():
    form = FormTemplate.objects.get(name="Standard deviation report")
    assert (form.version, form.status) == (1, FormStatus.ACTIVE)
    assert [s["key"] for s in form.sections] == ["event", "classification", "product", "immediate_action", "attachments"]
    severity = form.field("severity")
    assert severity["type"] == "select" and severity["suggest"] == "severity"
    assert [o["value"] for o in severity["options"]] == ["Low", "Medium", "High", "Critical"]
    assert d.definition_problems(d.definition_of(form), for_publish=True) == []
    assert d.normalise(STANDARD_DEVIATION_REPORT) == d.definition_of(form)


def test_editing_helpers_return_changed_copies():
    start = definition(section("event", field("title"), field("area")), section("product", field("batch")))

    added = d.add_field(start, "product", {"key": "units", "label": "Units", "type": "number"})
    assert [f["key"] for f in added["sections"][1]["fields"]] == ["batch", "units"]
    assert [f["key"] for f in start["sections"][1]["fields"]] == ["batch"]  # the original is untouched

    moved_up = d.move_field(start, "area", -1)
    assert [f["key"] for f in moved_up["sections"][0]["fields"]] == ["area", "title"]
    across = d.move_field(start, "area", +1)  # past the end of its section: first of the next
    assert [[f["key"] for f in s["fields"]] for s in across["sections"]] == [["title"], ["area", "batch"]]
    back = d.move_field(across, "area", -1)
    assert [[f["key"] for f in s["fields"]] for s in back["sections"]] == [["title", "area"], ["batch"]]

    reordered = d.move_section(start, "product", -1)
    assert [s["key"] for s in reordered["sections"]] == ["product", "event"]
    renamed = d.update_section(start, "event", {"title": "What happened"})
    assert renamed["sections"][0]["title"] == "What happened" and len(renamed["sections"][0]["fields"]) == 2
    changed = d.update_field(start, "title", {**start["sections"][0]["fields"][0], "required": True})
    assert changed["sections"][0]["fields"][0]["required"] is True
    assert [s["key"] for s in d.remove_section(start, "event")["sections"]] == ["product"]
    assert [f["key"] for f in d.remove_field(start, "title")["sections"][0]["fields"]] == ["area"]
    with_section = d.add_section(start, {"key": "attachments", "title": "Attachments"})
    assert with_section["sections"][-1] == {"key": "attachments", "title": "Attachments", "description": "", "fields": []}
