"""manage.py seed_demo: one user per role, demo groups and demo documents; idempotent, refused when DEBUG is off."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.demo import DEMO_USERS
from accounts.models import Group, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """The demo documents' files go to a temporary folder, never to the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


def seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_creates_one_user_per_role_and_prints_the_logins(settings):
    settings.DEBUG = True

    output = seed()

    assert sorted(User.objects.values_list("role__name", flat=True)) == ["Admin", "Auditor", "QA", "QA Manager", "User"]
    for username, _, role, _, _ in DEMO_USERS:
        assert username in output
        assert role in output
    assert "password" in output
    assert set(Group.objects.values_list("name", flat=True)) == {"Quality Assurance", "Production"}


def test_seed_is_idempotent(settings):
    settings.DEBUG = True
    seed()
    user = User.objects.get(username="user@example.com")
    user.full_name = "Changed Locally"
    user.save()

    output = seed()

    assert "0 new users" in output
    assert User.objects.count() == len(DEMO_USERS)
    assert Group.objects.count() == 2
    assert User.objects.get(username="user@example.com").full_name == "Changed Locally"
    assert Group.objects.get(name="Quality Assurance").members.count() == 2


def test_seed_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        seed()
    assert not User.objects.exists()


def test_the_contract_login_example_works_after_seeding(api_client, settings):
    """Seed 000, "Login and List Documents", step 1, verbatim."""
    settings.DEBUG = True
    seed(quiet=True)

    response = api_client.post(
        "/api/auth/token", data='{"username": "user@example.com", "password": "password"}', content_type="application/json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["username"] == "user@example.com"
    assert body["user"]["email"] == "user@example.com"
    assert body["user"]["role"] == "User"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api_client.get("/api/auth/me").json()["groups"] == [
        {"id": Group.objects.get(name="Production").pk, "name": "Production"}
    ]


def test_every_demo_user_can_sign_in(api_client, settings):
    settings.DEBUG = True
    seed(quiet=True)

    for username, _, role, _, _ in DEMO_USERS:
        response = api_client.post("/api/auth/token", {"username": username, "password": "password"}, format="json")
        assert response.status_code == 200, username
        assert response.json()["user"]["role"] == role


def test_seeding_is_recorded_in_the_audit_trail_once(settings):
    from audit.models import AuditEvent

    settings.DEBUG = True
    seed(quiet=True)
    seed(quiet=True)

    created = AuditEvent.objects.filter(action="create", resource_type="user", actor_username="seed_demo")
    assert sorted(created.values_list("new_values__username", flat=True)) == sorted(u[0] for u in DEMO_USERS)
    assert AuditEvent.objects.filter(resource_type="group", actor_username="seed_demo").count() == 2


def test_seed_creates_demo_documents_through_the_workflow(settings, django_capture_on_commit_callbacks):
    from audit.models import AuditEvent, Signature
    from audit.signatures import verify
    from documents.models import Document

    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):  # text extraction runs after commit
        output = seed()

    sop = Document.objects.get(title="Cleaning and sanitisation of the filling line")
    wi = Document.objects.get(title="Line clearance at the packaging station")
    manual = Document.objects.get(title="Quality Manual")
    for document in (sop, wi, manual):
        assert document.number in output

    # The SOP went draft → in_review → (two signed approvals) → approved → effective.
    assert (sop.number[:4], sop.status, sop.effective_version_id) == ("SOP-", "effective", sop.current_version_id)
    assert sop.current_version.processing_status == "completed" and "filling line" in sop.current_version.extracted_text
    steps = list(sop.workflow_instance.history.values_list("action", "to_state", "actor__username"))
    assert steps == [
        ("start", "draft", "admin@example.com"),
        ("transition", "in_review", "admin@example.com"),
        ("approve", "in_review", "qa@example.com"),
        ("approve", "in_review", "qa.manager@example.com"),
        ("transition", "approved", None),
        ("transition", "effective", "qa.manager@example.com"),
    ]
    signatures = Signature.objects.filter(resource_type="document_version", resource_id=sop.current_version_id)
    assert sorted(signatures.values_list("signer_username", flat=True)) == ["qa.manager@example.com", "qa@example.com"]
    assert all(verify(signature)["valid"] for signature in signatures)
    audited = set(AuditEvent.objects.filter(resource_type="document", resource_id=sop.pk).values_list("action", flat=True))
    assert {"create", "transition", "approve"} <= audited

    # The work instruction waits for the QA Manager: QA has approved, the approval rules are not met yet.
    assert (wi.number[:3], wi.status) == ("WI-", "in_review")
    assert list(wi.workflow_instance.approvals.values_list("approver__username", flat=True)) == ["qa@example.com"]

    # The quality manual is a draft made from the "Quality Manual" template by the QA demo user.
    assert (manual.status, manual.created_by.username, manual.current_version.mime_type.endswith("document")) == (
        "draft",
        "qa@example.com",
        True,
    )
    assert AuditEvent.objects.filter(
        resource_type="document", resource_id=manual.pk, action="create", new_values__template="Quality Manual"
    ).exists()


def test_the_demo_work_instruction_can_be_approved_by_the_qa_manager(api_client, settings):
    from documents.models import Document

    settings.DEBUG = True
    seed(quiet=True)
    wi = Document.objects.get(title="Line clearance at the packaging station")
    token = api_client.post(
        "/api/auth/token", {"username": "qa.manager@example.com", "password": "password"}, format="json"
    ).json()["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.post(f"/api/documents/{wi.pk}/approve", {"password": "password"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"


def test_demo_documents_are_created_once(settings):
    from audit.models import AuditEvent, Signature
    from documents.models import Document, DocumentVersion
    from workflows.models import WorkflowHistory

    settings.DEBUG = True
    seed(quiet=True)
    counts = (
        Document.objects.count(),
        DocumentVersion.objects.count(),
        Signature.objects.count(),
        WorkflowHistory.objects.count(),
        AuditEvent.objects.count(),
    )

    output = seed()

    assert counts[0] == 3
    assert (
        Document.objects.count(),
        DocumentVersion.objects.count(),
        Signature.objects.count(),
        WorkflowHistory.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert output.count("Cleaning and sanitisation of the filling line") == 1


def test_the_demo_auditor_browses_the_admin_site_read_only(client, settings):
    from django.core.management import call_command

    from accounts.models import User

    settings.DEBUG = True
    call_command("seed_demo", "--quiet")
    auditor = User.objects.get(username="auditor@example.com")
    client.force_login(auditor)

    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/audit/auditevent/").status_code == 200
    page = client.get(f"/admin/accounts/user/{auditor.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert client.get("/admin/accounts/role/add/").status_code == 403
