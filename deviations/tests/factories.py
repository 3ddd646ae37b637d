"""factory_boy factories for deviations (made through the services: numbers, workflow, audit trail
and signatures are real) and definition builders for deviation report forms."""

import factory

from accounts.tests.factories import UserFactory
from conftest import PASSWORD
from deviations import services
from deviations.definition import normalise
from deviations.models import Deviation, FormStatus, FormTemplate
from workflows import records_services


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


# --- deviations -------------------------------------------------------------------------------------------

STATES = ("reported", "under_investigation", "qa_review", "closed")


def report_answers(**event) -> dict:
    """Good answers to the shipped "Standard deviation report" (event fields may be changed;
    `severity`, `category`, `product` go to their sections)."""
    classification = {"category": event.pop("category", "Process"), "severity": event.pop("severity", "High")}
    product = {"product": event.pop("product", ""), "batch": event.pop("batch", "")}
    return {
        "event": {
            "title": "Torn seal on the filling line",
            "description": "Seal torn at station 4 during the morning shift.",
            "occurred_at": "2025-03-01",
            "area": "Packaging",
            **event,
        },
        "classification": classification,
        "product": product,
        "immediate_action": {"immediate_action": "Line stopped, product quarantined", "product_quarantined": True},
    }


INVESTIGATION = {
    "root_cause": "The seal roll was loaded upside down after the format change.",
    "root_cause_method": "five_whys",
    "impact_assessment": "Three boxes affected, all quarantined.",
    "capa_required": False,
    "capa_decision_rationale": "Isolated handling error; retraining covered by the line clearance SOP.",
}


class DeviationFactory(factory.Factory):
    """A deviation reported by `reporter` through the services on the standard form, then driven to
    `state`: under_investigation (QA starts it), qa_review (QA records the investigation and
    submits it), closed (a QA Manager approves with an electronic signature).

        DeviationFactory()                                  # reported by a User
        DeviationFactory(state="qa_review", severity="Critical", product="Amoxicillin 500 mg")
    """

    class Meta:
        model = Deviation

    reporter = factory.SubFactory(UserFactory, role_name="User", username=factory.Sequence(lambda n: f"reporter{n}"))
    title = factory.Sequence(lambda n: f"Deviation {n}")
    severity = "High"
    category = "Process"
    area = "Packaging"
    product = ""
    state = "reported"
    investigator = None  # a QA user, made when needed
    closer = None  # a QA Manager, made when needed

    @classmethod
    def _create(cls, model_class, *, reporter, title, severity, category, area, product, state, investigator, closer):
        if state not in STATES:
            raise ValueError(f"DeviationFactory makes deviations in one of {STATES}, not {state!r}.")
        answers = report_answers(title=title, severity=severity, category=category, area=area, product=product)
        deviation = services.report_deviation(actor=reporter, form_data=answers)
        steps = STATES.index(state)
        investigator = investigator or (UserFactory(role_name="QA", username=f"investigator-{deviation.pk}") if steps else None)
        if steps >= 1:
            records_services.transition_record(actor=investigator, record=deviation, name="start_investigation")
        if steps >= 2:
            deviation = Deviation.objects.get(pk=deviation.pk)
            services.update_deviation(
                actor=investigator,
                deviation=deviation,
                changes=dict(INVESTIGATION),
                reason="Investigation completed",
                row_version=deviation.row_version,
            )
            records_services.transition_record(actor=investigator, record=deviation, name="submit_for_review")
        if steps >= 3:
            records_services.approve_record(
                actor=closer or UserFactory(role_name="QA Manager"), record=deviation, password=PASSWORD
            )
        return Deviation.objects.get(pk=deviation.pk)
