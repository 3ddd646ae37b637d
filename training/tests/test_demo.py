"""The demo training that `manage.py seed_demo` adds: programs, the SOP's read-and-understood items,
completions signed by the demo users, one overdue assignment; created once."""

from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent, Signature
from audit.signatures import verify
from training.models import Assignment, Completion, Registration, TrainingProgram

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_adds_the_training_walk_through():
    output = seed()

    assert set(TrainingProgram.objects.values_list("title", flat=True)) >= {
        "GMP basics",
        "Good documentation practice",
        "Leading quality teams",
        "Information security awareness",
    }
    reader = Assignment.objects.get(user__username="user@example.com", kind="read_and_understood")
    assert reader.status == "assigned" and reader.document_version.document.number == "SOP-0001"
    assert reader.document_version_id == reader.document_version.document.effective_version_id
    overdue = Assignment.objects.get(user__username="user@example.com", program__title="Good documentation practice")
    assert overdue.status == "overdue"
    signed = Completion.objects.filter(program__title="GMP basics")
    assert sorted(signed.values_list("user__username", flat=True)) == ["qa.manager@example.com", "qa@example.com"]
    for completion in signed:
        signature = Signature.objects.get(resource_type="training_completion", resource_id=completion.pk)
        assert signature.signature_type == "training_completion" and verify(signature)["valid"]
    assert Registration.objects.filter(user__username="user@example.com", program__title="Leading quality teams").exists()
    assert "Demo training" in output and "SOP-0001 v1.0 (assigned" in output and "(overdue" in output


def test_the_demo_training_is_created_once():
    seed()
    counts = (TrainingProgram.objects.count(), Assignment.objects.count(), Completion.objects.count(), AuditEvent.objects.count())

    seed()

    assert (
        TrainingProgram.objects.count(),
        Assignment.objects.count(),
        Completion.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_the_demo_user_completes_the_sop_reading_with_the_demo_password(client):
    seed()
    from rest_framework.test import APIClient

    api = APIClient()
    token = api.post("/api/auth/token", {"username": "user@example.com", "password": "password"}, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    item = next(i for i in api.get("/api/training/my-training").json()["items"] if i["kind"] == "read_and_understood")

    response = api.post(f"/api/training/{item['training']['id']}/complete", {"password": "password"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["qualified"] is True
