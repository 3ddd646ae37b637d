"""The controlled-record kit on a record type that has nothing but a registration (the test-only
app workflows/tests/testapp: a model, `register_record_type(...)` with one guard, a ViewSet with
the kit's mixin and `record_urlpatterns`): approve, transition and configure-approval through the
API, the pages and the services; workflow status, history and signatures; guards, approval checks
of other apps, per-template approve permissions, permission checks of the services themselves."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Permission, UserPermissionOverride
from audit.models import AuditEvent, Signature
from conftest import PASSWORD
from qms.errors import PermissionDenied
from workflows import records, records_services, selectors, services
from workflows.models import WorkflowTemplate
from workflows.tests.testapp.models import SampleRecord

from .factories import WorkflowTemplateFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("workflows.tests.testapp.urls")]

SAMPLE_REVIEW = {
    "name": "Sample review",
    "states": [
        {"name": "open", "label": "Open", "kind": "open", "is_initial": True},
        {
            "name": "review",
            "label": "Review",
            "kind": "in_review",
            "approval_rules": [{"kind": "role", "role": "QA Manager", "required_approvals": 1}],
        },
        {"name": "closed", "label": "Closed", "kind": "closed", "is_terminal": True},
        {"name": "cancelled", "label": "Cancelled", "kind": "cancelled", "is_terminal": True},
    ],
    "transitions": [
        {
            "name": "submit",
            "label": "Submit",
            "from_state": "open",
            "to_state": "review",
            "required_permission": "deviations.edit",
        },
        {"name": "close", "label": "Close", "from_state": "review", "to_state": "closed", "trigger": "approval"},
        {
            "name": "send_back",
            "label": "Send back",
            "from_state": "review",
            "to_state": "open",
            "required_permission": "deviations.approve",
            "requires_comment": True,
        },
        {
            "name": "cancel",
            "label": "Cancel",
            "from_state": "open",
            "to_state": "cancelled",
            "required_permission": "deviations.approve",
            "requires_signature": True,
            "signature_type": "responsibility",
            "requires_comment": True,
        },
    ],
}


@pytest.fixture
def sample_review():
    return WorkflowTemplateFactory(definition=SAMPLE_REVIEW)


@pytest.fixture
def author(qa_user):
    return qa_user  # Quinn QA


@pytest.fixture
def manager(qa_manager):
    return qa_manager  # Max Manager


@pytest.fixture
def make_sample(sample_review, author):
    """A new sample record as its own create service would make it: numbered and started in one transaction."""

    def make(root_cause="", template=None):
        with transaction.atomic():
            record = SampleRecord.objects.create(
                number=records.record_type("sample_record").next_number(),
                title="Particles in vial",
                root_cause=root_cause,
                created_by=author,
            )
            records_services.start_record(actor=author, record=record, template=template)
        return SampleRecord.objects.get(pk=record.pk)

    return make


def act(client, record, action, **body):
    return client.post(f"/api/samples/{record.pk}/{action}", body, format="json")


# --- the API ----------------------------------------------------------------------------------------------


def test_a_registered_record_moves_through_its_workflow_by_the_api(client_for, author, manager, make_sample):
    record = make_sample()
    year = timezone.localdate().year
    assert (record.number, record.status) == (f"SMP-{year}-0001", "open")
    a, m = client_for(author), client_for(manager)

    status = a.get(f"/api/samples/{record.pk}/workflow")
    assert status.status_code == 200, status.json()
    assert status.json()["workflow"]["state"] == {"name": "open", "label": "Open", "kind": "open"}
    assert [t["name"] for t in status.json()["available_transitions"]] == ["submit"], "cancel needs deviations.approve"

    submitted = act(a, record, "transition", transition="submit", comment="Investigated")
    assert submitted.status_code == 200, submitted.json()
    approval = submitted.json()["workflow"]["approval"]
    assert approval["state"] == "review" and approval["rules"][0]["role"] == "QA Manager"

    blocked = act(m, record, "approve", password=PASSWORD)
    assert blocked.status_code == 422 and blocked.json()["error_code"] == "TRANSITION_BLOCKED"
    assert blocked.json()["detail"] == [
        {
            "loc": ["body", "root_cause"],
            "msg": f"{record.number} needs a root cause before it can be closed.",
            "type": "value_error",
        }
    ]
    assert not Signature.objects.exists()

    SampleRecord.objects.filter(pk=record.pk).update(root_cause="Worn stopper feeder")
    closed = act(m, record, "approve", password=PASSWORD, comment="Root cause confirmed")
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert body["workflow"]["state"]["name"] == "closed" and body["available_transitions"] == []
    steps = [(h["action"], h["transition"], h["to_state"], h["is_automatic"]) for h in body["workflow"]["history"]]
    assert steps == [
        ("start", "", "open", False),
        ("transition", "submit", "review", False),
        ("approve", "", "review", False),
        ("transition", "close", "closed", True),
    ]
    [signature] = body["signatures"]
    assert (signature["resource_type"], signature["resource_id"], signature["signature_type"]) == (
        "sample_record",
        record.pk,
        "approval",
    )
    assert signature["printed_name"] == "Max Manager" and signature["valid"] is True
    assert signature["intent"] == f"I approve {record.number}."
    assert body["approvals"][0]["signature_id"] == signature["id"] and body["approvals"][0]["comment"] == "Root cause confirmed"

    record.refresh_from_db()
    assert record.status == "closed" and record.row_version == 3, "the default sync follows the state"
    actions = list(
        AuditEvent.objects.filter(resource_type="sample_record", resource_id=record.pk).values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(["transition", "transition", "sign", "approve", "transition"])


@pytest.mark.requirement("21CFR11.200(a)")
def test_a_signed_transition_needs_a_comment_and_the_password(client_for, manager, make_sample):
    record = make_sample()
    client = client_for(manager)
    assert act(client, record, "transition", transition="cancel", password=PASSWORD).json()["detail"][0]["loc"] == [
        "body",
        "comment",
    ]
    no_password = act(client, record, "transition", transition="cancel", comment="Duplicate")
    assert no_password.status_code == 422 and no_password.json()["error_code"] == "SIGNATURE_REQUIRED"
    wrong = act(client, record, "transition", transition="cancel", comment="Duplicate", password="wrong")
    assert wrong.status_code == 401 and wrong.json()["error_code"] == "SIGNATURE_AUTH_FAILED"
    done = act(client, record, "transition", transition="cancel", comment="Duplicate", password=PASSWORD)
    assert done.status_code == 200 and done.json()["workflow"]["state"]["name"] == "cancelled"
    signature = Signature.objects.get()
    assert (signature.signature_type, signature.reason, signature.intent) == (
        "responsibility",
        "Duplicate",
        f"Cancel: {record.number}.",
    )
    assert act(client, record, "transition", transition="submit").json()["error_code"] == "INVALID_TRANSITION"


def test_configure_approval_names_the_approvers_of_one_record(client_for, author, manager, make_user, make_sample):
    record = make_sample(root_cause="Known")
    qa, other_manager, reader = make_user("QA"), make_user("QA Manager", full_name="Otto Other"), make_user("User")
    a = client_for(author)

    assert act(a, record, "configure-approval", rules=[{"kind": "users", "users": [other_manager.pk]}]).status_code == 422
    assert (
        act(client_for(reader), record, "configure-approval", reset=True, reason="Reset to the template rules").status_code == 403
    )
    refused = act(a, record, "configure-approval", rules=[{"kind": "users", "users": [qa.pk]}], reason="Area owner")
    assert refused.status_code == 422 and refused.json()["error_code"] == "APPROVER_CANNOT_APPROVE"
    assert "does not hold the deviations.approve permission" in refused.json()["detail"][0]["msg"]

    configured = act(a, record, "configure-approval", rules=[{"kind": "users", "users": [other_manager.pk]}], reason="Area owner")
    assert configured.status_code == 200, configured.json()
    act(a, record, "transition", transition="submit")
    assert act(client_for(manager), record, "approve", password=PASSWORD).json()["error_code"] == "NOT_AN_APPROVER"
    assert act(client_for(other_manager), record, "approve", password=PASSWORD).json()["workflow"]["state"]["name"] == "closed"
    busy = act(a, record, "configure-approval", reset=True, reason="Reset to the template rules")
    assert busy.status_code == 409 and busy.json()["error_code"] == "NOT_EDITABLE"


def test_the_approve_permission_can_come_from_the_workflow_template(client_for, manager, make_sample):
    strict = WorkflowTemplateFactory(approve_permission="audit.verify")  # review (1 × QA Manager) → approved
    record = make_sample(template=strict)
    assert record.status == "review", "the two-state workflow starts in its approval state"

    refused = act(client_for(manager), record, "approve", password=PASSWORD)
    assert refused.status_code == 403 and "audit.verify" in refused.json()["detail"], "QA Managers do not hold audit.verify"
    UserPermissionOverride.objects.create(
        user=manager, permission=Permission.objects.get(codename="audit.verify"), effect="grant"
    )
    approved = act(client_for(manager), record, "approve", password=PASSWORD)
    assert approved.status_code == 200 and approved.json()["workflow"]["state"]["name"] == "approved"


def test_unknown_and_non_numeric_ids_are_404(client_for, author):
    client = client_for(author)
    assert client.get("/api/samples/999/workflow").status_code == 404
    assert client.post("/api/samples/abc/approve", {"password": PASSWORD}, format="json").status_code == 404


# --- approval checks of other apps ---------------------------------------------------------------------------


@pytest.fixture
def training_gate():
    """What the training module registers: unqualified approvers are refused, naming what is missing."""

    def gate(*, actor, record, instance, state):
        if actor.username == "untrained":
            raise PermissionDenied(
                f"Complete the training 'GMP basics' before signing in {state.label}.", error_code="TRAINING_REQUIRED"
            )

    records.register_approval_check(gate)
    yield gate
    records.unregister_approval_check(gate)


def test_an_approval_check_registered_by_another_app_refuses_the_approver(client_for, make_user, make_sample, training_gate):
    record = make_sample(root_cause="Known")
    untrained = make_user("QA Manager", username="untrained")
    records_services.transition_record(actor=make_user("QA"), record=record, name="submit")

    refused = act(client_for(untrained), record, "approve", password="not even checked")
    assert refused.status_code == 403 and refused.json()["error_code"] == "TRAINING_REQUIRED"
    assert "GMP basics" in refused.json()["detail"]
    untrained.refresh_from_db()
    assert untrained.failed_login_count == 0 and not Signature.objects.exists(), "refused before the signature"
    with pytest.raises(PermissionDenied):
        records_services.check_can_approve(actor=untrained, record=record)

    page = _browser(untrained).get(f"/samples/{record.pk}/workflow/").content.decode()
    assert "approve-dialog" not in page and "Complete the training" in page

    assert act(client_for(make_user("QA Manager")), record, "approve", password=PASSWORD).status_code == 200


def test_an_approval_check_also_guards_signed_transitions(client_for, make_user, make_sample, training_gate):
    record = make_sample()
    untrained = make_user("QA Manager", username="untrained")
    refused = act(client_for(untrained), record, "transition", transition="cancel", comment="Dup", password=PASSWORD)
    assert refused.status_code == 403 and refused.json()["error_code"] == "TRAINING_REQUIRED"
    assert act(client_for(untrained), record, "transition", transition="submit").status_code == 200, "unsigned: no check"


# --- the services called directly (as a command would) --------------------------------------------------------


@pytest.mark.requirement("21CFR11.10(g)")
def test_the_kit_services_check_their_own_permissions(make_user, make_sample):
    record = make_sample(root_cause="Known")
    reader, nobody = make_user("Auditor"), make_user(None)  # the auditor reads (deviations.view), nothing more
    with pytest.raises(PermissionDenied, match="deviations.edit"):
        records_services.transition_record(actor=reader, record=record, name="submit")
    with pytest.raises(PermissionDenied, match="deviations.edit"):
        records_services.configure_record_approval(
            actor=reader, record=record, state="review", reset=True, reason="Reset to the template rules"
        )
    with pytest.raises(PermissionDenied, match="deviations.view"):
        records_services.approve_record(actor=nobody, record=record, password=PASSWORD)
    records_services.transition_record(actor=make_user("QA"), record=record, name="submit")
    with pytest.raises(PermissionDenied, match="deviations.approve"):
        records_services.approve_record(actor=reader, record=record, password=PASSWORD)
    record.refresh_from_db()
    assert record.status == "review"


def test_the_template_services_check_their_own_permission(make_user):
    qa, admin = make_user("QA"), make_user("Admin")
    definition = {**SAMPLE_REVIEW, "name": "Made by a command"}
    with pytest.raises(PermissionDenied, match="workflow_templates.manage"):
        services.create_template(actor=qa, definition=definition)
    template = services.create_template(actor=None, definition=definition)  # the system (a data migration, a command)
    for call in (
        lambda: services.update_template(actor=qa, template=template, definition=definition),
        lambda: services.new_version(actor=qa, template=template),
        lambda: services.delete_template_version(actor=qa, template=template),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert (
        services.update_template(actor=admin, template=template, definition={**definition, "description": "v"}).pk == template.pk
    )
    assert WorkflowTemplate.objects.filter(name="Made by a command").count() == 1


def test_the_engine_step_checks_the_approve_permission_too(make_user, make_sample):
    strict = WorkflowTemplateFactory(definition={**SAMPLE_REVIEW, "name": "Strict review", "approve_permission": "audit.verify"})
    record = make_sample(template=strict)
    records_services.transition_record(actor=make_user("QA"), record=record, name="submit")
    with pytest.raises(PermissionDenied, match="audit.verify"), transaction.atomic():
        services.approve(instance=record.workflow_instance, actor=make_user("QA Manager"))


# --- pages ---------------------------------------------------------------------------------------------------


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_kit_pages_work_for_the_registered_record(author, manager, make_user, make_sample):
    record = make_sample(root_cause="Known")
    url = f"/samples/{record.pk}/workflow/"
    page = _browser(author).get(url).content.decode()
    assert 'data-testid="workflow-state">Open<' in page and 'data-testid="transition-submit"' in page
    assert 'data-testid="configure-link"' in page

    moved = _browser(author).post(f"/samples/{record.pk}/transition/submit/", follow=True)
    assert f"{record.number} is now review." in moved.content.decode()
    page = _browser(manager).get(url).content.decode()
    assert 'data-signature-open="approve-dialog"' in page
    wrong = _browser(manager).post(
        f"/samples/{record.pk}/approve/", {"signature_type": "approval", "intent": "I approve", "password": "x"}, follow=True
    )
    assert "Approval not recorded" in wrong.content.decode()
    approved = _browser(manager).post(
        f"/samples/{record.pk}/approve/",
        {"signature_type": "approval", "intent": "I approve", "password": PASSWORD, "reason": "Fine"},
        follow=True,
    )
    text = approved.content.decode()
    assert "Approved with your electronic signature. Status: closed." in text
    assert 'data-testid="signature-manifestation"' in text and "transition: close" in text

    assert _browser(author).get(f"/samples/{make_sample().pk}/configure-approval/").status_code == 200
    assert _browser(make_user("User")).get(f"/samples/{record.pk}/configure-approval/").status_code == 403
    assert _browser(make_user(None)).get(url).status_code == 403


def test_the_configure_page_saves_per_record_approvers(author, make_user, make_sample):
    record = make_sample()
    approver = make_user("QA Manager")
    response = _browser(author).post(
        f"/samples/{record.pk}/configure-approval/",
        {"state": "review", "approval_mode": "all", "users": [approver.pk], "reason": "Area owner"},
    )
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
    record.refresh_from_db()
    state = record.workflow_instance.template.states.get(name="review")
    policy = selectors.approval_policy(record.workflow_instance, state, with_progress=False)
    assert policy.overridden and policy.rules[0].user_ids == [approver.pk]


# --- reads ---------------------------------------------------------------------------------------------------


def test_the_workflow_status_is_read_in_a_fixed_number_of_queries(author, manager, make_sample):
    short, long = make_sample(root_cause="Known"), make_sample(root_cause="Known")
    for _ in range(3):  # three review rounds, each with a send-back
        records_services.transition_record(actor=author, record=long, name="submit")
        records_services.transition_record(actor=manager, record=long, name="send_back", comment="Again")
    for record in (short, long):
        records_services.transition_record(actor=author, record=record, name="submit")
        records_services.approve_record(actor=manager, record=record, password=PASSWORD)

    counts = []
    for record in (short, long):
        record = SampleRecord.objects.select_related("workflow_instance__current_state", "workflow_instance__template").get(
            pk=record.pk
        )
        with CaptureQueriesContext(connection) as queries:
            status = selectors.record_workflow(record, manager)
        counts.append(len(queries.captured_queries))
        assert status.signatures and status.history
    assert len(selectors.record_workflow(long, manager).history) > len(selectors.record_workflow(short, manager).history)
    assert counts[0] == counts[1], counts


def test_the_mixin_documents_the_actions_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="workflows.tests.testapp.urls").get_schema(request=None, public=True)
    approve = schema["paths"]["/api/samples/{id}/approve"]["post"]
    assert approve["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApproveRequest")
    assert approve["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/RecordWorkflow")
    assert {"401", "403", "404", "409", "422"} <= set(approve["responses"])
    assert "post" in schema["paths"]["/api/samples/{id}/configure-approval"]
    assert "get" in schema["paths"]["/api/samples/{id}/workflow"]


# --- records awaiting a user's approval (dashboards) ---------------------------------------------------------


def test_records_awaiting_a_users_approval_follow_the_rules_in_one_query(
    make_sample, author, manager, make_user, django_assert_num_queries
):
    kind = records.record_type("sample_record")
    other_manager = make_user("QA Manager", username="qam2")
    waiting = make_sample(root_cause="Worn feeder")
    records_services.transition_record(actor=author, record=waiting, name="submit")
    still_open = make_sample()
    named = make_sample(root_cause="Wrong label")
    records_services.configure_record_approval(
        actor=author, record=named, state="review", rules=[{"kind": "users", "users": [other_manager.pk]}], reason="Line 2 expert"
    )
    records_services.transition_record(actor=author, record=named, name="submit")
    with transaction.atomic():  # a QA Manager's own record: they may not approve it
        own = SampleRecord.objects.create(number="SMP-OWN", title="Own", root_cause="x", created_by=manager)
        records_services.start_record(actor=manager, record=own)
    records_services.transition_record(actor=manager, record=own, name="submit")

    selectors.records_awaiting_approval(kind, manager).count()  # the user's permissions, read once
    with django_assert_num_queries(1):
        assert list(selectors.records_awaiting_approval(kind, manager)) == [waiting]
    assert set(selectors.records_awaiting_approval(kind, other_manager)) == {waiting, named, own}
    assert list(selectors.records_awaiting_approval(kind, author)) == []  # QA: no rule for them, no approve permission
    assert still_open not in selectors.records_awaiting_approval(kind, other_manager)

    records_services.approve_record(actor=manager, record=waiting, password=PASSWORD)
    assert list(selectors.records_awaiting_approval(kind, manager)) == []
    assert waiting not in selectors.records_awaiting_approval(kind, other_manager)


def test_records_of_other_modules_referring_to_a_record_are_collected_per_type(make_sample, author):
    from workflows import related

    record = make_sample()

    def citing(target, user):
        return [{"kind": "Sample", "number": f"REF-{target.pk}", "title": user.username, "url": "/", "status": "", "reason": "x"}]

    related.register_related("sample_record", "test", citing)
    try:
        assert related.related_records("sample_record", record, author) == [
            {"kind": "Sample", "number": f"REF-{record.pk}", "title": author.username, "url": "/", "status": "", "reason": "x"}
        ]
        assert related.related_records("document", record, author) == []
    finally:
        related.unregister_related("sample_record", "test")
    assert related.related_records("sample_record", record, author) == []
