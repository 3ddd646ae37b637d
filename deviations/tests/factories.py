"""factory_boy factories and definition builders for deviation report forms."""

import factory

from deviations.definition import normalise
from deviations.models import FormStatus, FormTemplate


def field(key: str, type_: str = "text", **attrs) -> dict:
    return {"key": key, "label": attrs.pop("label", key.replace("_", " ").capitalize()), "type": type_, **attrs}


def section(key: str, *fields: dict, title: str | None = None) -> dict:
    return {"key": key, "title": title or key.replace("_", " ").capitalize(), "fields": list(fields)}


def report_sections(*, severities=("Low", "Medium", "High", "Critical")) -> list[dict]:
    """The least a form needs to report deviations (deviations/reporting.py): its fields fill the record."""
    return [
        section(
            "event",
            field("title", required=True),
            field("description", "textarea", required=True),
            field("occurred_at", "date", required=True, max="today"),
            field("area", "select", required=True, options_from="deviation_areas"),
        ),
        section(
            "classification",
            field("category", "select", required=True, options_from="deviation_categories"),
            field("severity", "select", required=True, options=list(severities), suggest="severity"),
        ),
    ]


def definition(*sections: dict, name: str = "Line deviation report", description: str = "") -> dict:
    """A normalised definition; without sections, one "event" section with a required title."""
    sections = sections or (section("event", field("title", required=True)),)
    return normalise({"name": name, "description": description, "sections": list(sections)})


class FormTemplateFactory(factory.django.DjangoModelFactory):
    """A form version written directly (no audit record): for setting the scene, not for the rules
    under test. `status` defaults to draft; use FormStatus.ACTIVE for the reporting form."""

    class Meta:
        model = FormTemplate

    name = factory.Sequence(lambda n: f"Deviation form {n}")
    description = ""
    status = FormStatus.DRAFT
    sections = factory.LazyFunction(lambda: definition()["sections"])
