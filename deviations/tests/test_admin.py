"""The admin writes deviation forms through the services: checked, versioned, audited."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from deviations.models import FormStatus, FormTemplate

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
            "reason": "Notes",
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
