"""The admin writes deviation forms through the services: checked, versioned, audited."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from deviations.models import Deviation, FormStatus, FormTemplate

from .factories import definition, field, section

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(admin_user)
    return client


def sections_json(*sections) -> str:
    return json.dumps(definition(*sections)["sections"])


def test_adding_a_form_in_the_admin_goes_through_the_service(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:deviations_formtemplate_add"),
        {
            "name": "Warehouse deviation",
            "description": "",
            "sections": sections_json(section("event", field("title", required=True))),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = FormTemplate.objects.get(name="Warehouse deviation")
    assert (template.version, template.status, template.created_by) == (1, FormStatus.DRAFT, admin_user)
    assert AuditEvent.objects.filter(
        resource_type="form_template", resource_id=template.pk, action="create", actor_id=admin_user.pk
    ).exists()


def test_an_invalid_definition_is_refused_on_the_form(admin_client):
    response = admin_client.post(
        reverse("admin:deviations_formtemplate_add"),
        {"name": "Broken", "description": "", "sections": sections_json(section("event", field("kind", "select")))},
    )
    assert response.status_code == 200
    assert "sections.0.fields.0.options: A select needs at least one option." in response.content.decode()
    assert not FormTemplate.objects.filter(name="Broken").exists()


def test_changing_the_active_form_saves_a_new_draft_and_publishing_needs_a_reason(admin_client):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    url = reverse("admin:deviations_formtemplate_change", args=[standard.pk])
    changed = [*standard.sections, {"key": "extra", "title": "Extra", "fields": [field("note")]}]

    refused = admin_client.post(
        url, {"name": standard.name, "description": standard.description, "sections": json.dumps(changed), "publish": "on"}
    )
    assert "A reason is required to publish." in refused.content.decode()

    response = admin_client.post(
        url,
        {
            "name": standard.name,
            "description": standard.description,
            "sections": json.dumps(changed),
            "publish": "on",
            "reason": "Notes for the record",
        },
    )
    assert response.status_code == 302
    draft = FormTemplate.objects.get(family=standard.family, version=2)
    standard.refresh_from_db()
    assert draft.status == FormStatus.ACTIVE and draft.field("note") is not None
    assert standard.status == FormStatus.RETIRED and standard.field("note") is None

    old = admin_client.get(url).content.decode()
    assert 'name="sections"' not in old  # older versions are read-only
    assert admin_client.post(reverse("admin:deviations_formtemplate_delete", args=[draft.pk]), {"post": "yes"}).status_code == 403


# --- categories, areas, due-date rules, deviations ------------------------------------------------------------


def test_categories_areas_and_due_rules_are_saved_through_the_services(admin_client, admin_user):
    from deviations.models import Area, Category, SeverityDueRule

    added = admin_client.post(
        reverse("admin:deviations_category_add"), {"name": "Cleaning", "description": "", "is_active": "on"}
    )
    assert added.status_code == 302
    category = Category.objects.get(name="Cleaning")
    created = AuditEvent.objects.get(resource_type="deviation_category", resource_id=category.pk)
    assert created.action == "create" and created.actor_id == admin_user.pk
    # Offered by the report form at once (options_from), without a new form version.
    active = admin_client.get("/api/deviations/form-templates/active").json()
    category_field = next(f for s in active["sections"] for f in s["fields"] if f["key"] == "category")
    assert {"value": "Cleaning", "label": "Cleaning"} in category_field["options"]

    area = Area.objects.get(name="Warehouse")
    admin_client.post(
        reverse("admin:deviations_area_change", args=[area.pk]),
        {"name": "Warehouse", "site": "North site", "description": "", "is_active": "on", "reason": "Moved for the record"},
    )
    changed = AuditEvent.objects.get(resource_type="deviation_area", resource_id=area.pk)
    assert (changed.old_values, changed.new_values, changed.reason) == (
        {"site": "Main site"},
        {"site": "North site"},
        "Moved for the record",
    )

    rule = SeverityDueRule.objects.get(severity="High")
    refused = admin_client.post(
        reverse("admin:deviations_severityduerule_change", args=[rule.pk]), {"severity": "High", "due_days": 0}
    )
    assert refused.status_code == 200 and SeverityDueRule.objects.get(pk=rule.pk).due_days == 15
    # A change of a rule needs its reason (the form shows the service's refusal, nothing is saved).
    unexplained = admin_client.post(
        reverse("admin:deviations_severityduerule_change", args=[rule.pk]), {"severity": "High", "due_days": 10}
    )
    assert unexplained.status_code == 200 and "reason is required" in unexplained.content.decode()
    assert SeverityDueRule.objects.get(pk=rule.pk).due_days == 15
    admin_client.post(
        reverse("admin:deviations_severityduerule_change", args=[rule.pk]),
        {"severity": "High", "due_days": 10, "reason": "Shorter deadline agreed in the quality council"},
    )
    assert SeverityDueRule.objects.get(pk=rule.pk).due_days == 10
    event = AuditEvent.objects.get(resource_type="deviation_due_rule", resource_id=rule.pk, action="update")
    assert (event.old_values, event.new_values) == ({"due_days": 15}, {"due_days": 10})
    assert event.reason == "Shorter deadline agreed in the quality council"
    assert admin_client.get(reverse("admin:deviations_category_delete", args=[category.pk])).status_code == 403


def test_the_configuration_services_check_their_permission(qa_user):
    from deviations import services
    from qms.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.save_category(actor=qa_user, category=None, data={"name": "Sneaky"})


def test_deviations_are_read_only_in_the_admin(admin_client):
    from .factories import DeviationFactory

    deviation = DeviationFactory()
    page = admin_client.get(reverse("admin:deviations_deviation_change", args=[deviation.pk]))
    assert page.status_code == 200 and deviation.number in page.content.decode()
    assert admin_client.get(reverse("admin:deviations_deviation_add")).status_code == 403
    assert admin_client.post(reverse("admin:deviations_deviation_change", args=[deviation.pk]), {"title": "x"}).status_code == 403


def _changelist_queries(client, name: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(f"admin:deviations_{name}_changelist"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_admin_lists_read_a_fixed_number_of_queries(admin_client, admin_user):
    from deviations import services
    from deviations.models import Area, Category

    from .factories import DeviationFactory, FormTemplateFactory

    reporter = DeviationFactory().reported_by
    FormTemplateFactory()
    few = {name: _changelist_queries(admin_client, name) for name in ("deviation", "formtemplate", "category", "area")}
    for n in range(6):
        deviation = DeviationFactory(reporter=reporter, state="under_investigation" if n % 2 else "reported")
        if n % 2:
            Deviation.objects.filter(pk=deviation.pk).update(owner=admin_user)
        FormTemplateFactory()
        services.save_category(actor=admin_user, category=None, data={"name": f"Category {n}"})
        services.save_area(actor=admin_user, area=None, data={"name": f"Area {n}", "site": "North"})
    assert Deviation.objects.count() == 7 and Category.objects.count() > 10 and Area.objects.count() > 10
    many = {name: _changelist_queries(admin_client, name) for name in few}
    assert many == few
