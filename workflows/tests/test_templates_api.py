"""GET/POST /api/workflow-templates/, GET/PUT /api/workflow-templates/{id}: validation and versioning."""

import copy

import pytest
from django.db import transaction

from accounts.tests.factories import GroupFactory
from audit.models import AuditEvent
from workflows import selectors, services
from workflows.defaults import DOCUMENT_APPROVAL
from workflows.models import WorkflowTemplate

pytestmark = pytest.mark.django_db

SIMPLE = {
    "name": "CAPA review",
    "description": "Two-step review",
    "states": [
        {"name": "draft", "kind": "draft", "is_initial": True},
        {
            "name": "review",
            "kind": "in_review",
            "approval_rules": [{"kind": "role", "role": "QA Manager", "required_approvals": 1}],
        },
        {"name": "closed", "kind": "closed", "is_terminal": True},
    ],
    "transitions": [
        {"name": "submit", "from_state": "draft", "to_state": "review", "required_permission": "capa.edit"},
        {"name": "approve", "from_state": "review", "to_state": "closed", "trigger": "approval"},
    ],
}


def test_default_document_approval_template_exists(client_for, qa_user):
    response = client_for(qa_user).get("/api/workflow-templates/")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [t["name"] for t in items] == ["CAPA handling", "Deviation handling", "Document approval"]  # the modules' defaults
    template = items[2]
    assert [s["name"] for s in template["states"]] == [
        "draft",
        "in_review",
        "rejected",
        "approved",
        "effective",
        "superseded",
        "obsolete",
    ]
    assert [s["name"] for s in template["states"] if s["is_initial"]] == ["draft"]
    review = next(s for s in template["states"] if s["name"] == "in_review")
    assert review["approval_rules"] == [
        {"kind": "role", "role": "QA Manager", "required_approvals": 1},
        {"kind": "role", "role": "QA", "required_approvals": 1},
    ]
    assert review["author_may_approve"] is False


def test_create_and_read_back(client_for, admin_user):
    client = client_for(admin_user)
    created = client.post("/api/workflow-templates/", SIMPLE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["version"] == 1 and body["is_current"] is True
    assert [t["name"] for t in body["transitions"]] == ["submit", "approve"]
    assert client.get(f"/api/workflow-templates/{body['id']}").json()["states"] == body["states"]
    assert AuditEvent.objects.filter(resource_type="workflow_template", resource_id=body["id"], action="create").exists()


@pytest.mark.parametrize(
    "mutate, loc, fragment",
    [
        (lambda d: d["states"][0].update(is_initial=False), ["body", "states"], "No initial state"),
        (
            lambda d: d["transitions"][0].update(to_state="nowhere"),
            ["body", "transitions", 0, "to_state"],
            "unknown state 'nowhere'",
        ),
        (
            lambda d: d["states"].append({"name": "limbo", "kind": "open", "is_terminal": True}),
            ["body", "states", 3],
            "cannot be reached",
        ),
        (
            lambda d: d["states"][1].update(approval_rules=[{"kind": "role", "role": "Astronaut", "required_approvals": 1}]),
            ["body", "states", 1, "approval_rules", 0, "role"],
            "Unknown role",
        ),
        (
            lambda d: d["transitions"].pop(),
            ["body", "states", 1, "approval_rules"],
            "exactly one transition with trigger 'approval'",
        ),
        (
            lambda d: d["transitions"][0].update(required_permission="capa.fly"),
            ["body", "transitions", 0, "required_permission"],
            "Unknown permission",
        ),
    ],
)
def test_invalid_definitions_are_422_with_locations(client_for, admin_user, mutate, loc, fragment):
    definition = copy.deepcopy(SIMPLE)
    mutate(definition)
    response = client_for(admin_user).post("/api/workflow-templates/", definition, format="json")
    assert response.status_code == 422, response.json()
    problems = response.json()["detail"]
    assert any(p["loc"] == loc and fragment in p["msg"] for p in problems), problems
    assert response.json()["error_code"] == "WORKFLOW_INVALID"
    assert not WorkflowTemplate.objects.filter(name="CAPA review").exists()


def test_only_managers_create_templates(client_for, qa_user):
    assert client_for(qa_user).post("/api/workflow-templates/", SIMPLE, format="json").status_code == 403


def test_unused_template_is_edited_in_place(client_for, admin_user):
    client = client_for(admin_user)
    created = client.post("/api/workflow-templates/", SIMPLE, format="json").json()
    changed = copy.deepcopy(SIMPLE)
    changed["states"][1]["approval_rules"][0]["required_approvals"] = 2
    response = client.put(
        f"/api/workflow-templates/{created['id']}", {**changed, "row_version": created["row_version"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == created["id"] and response.json()["version"] == 1
    assert response.json()["states"][1]["approval_rules"][0]["required_approvals"] == 2
    stale = client.put(
        f"/api/workflow-templates/{created['id']}", {**changed, "row_version": created["row_version"]}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["error_code"] == "VERSION_CONFLICT"


@pytest.mark.requirement("21CFR11.10(k)", "ANNEX11.10")
def test_template_in_use_is_versioned_and_running_instances_keep_their_rules(client_for, admin_user, make_user):
    client = client_for(admin_user)
    created = client.post("/api/workflow-templates/", SIMPLE, format="json").json()
    template = WorkflowTemplate.objects.get(pk=created["id"])
    author, qam1, qam2 = make_user("QA"), make_user("QA Manager"), make_user("QA Manager")
    with transaction.atomic():
        running = services.start(record=GroupFactory(), template=template, actor=author)
        services.transition(instance=running, name="submit", actor=admin_user)

    changed = copy.deepcopy(SIMPLE)
    changed["states"][1]["approval_rules"][0]["required_approvals"] = 2
    response = client.put(f"/api/workflow-templates/{template.pk}", {**changed, "reason": "Second approver"}, format="json")
    assert response.status_code == 200, response.json()
    v2 = response.json()
    assert v2["id"] != template.pk and v2["version"] == 2 and v2["previous_version"] == template.pk
    old = client.get(f"/api/workflow-templates/{template.pk}").json()
    assert old["is_current"] is False
    assert old["states"][1]["approval_rules"][0]["required_approvals"] == 1
    assert [t["id"] for t in client.get("/api/workflow-templates/").json()["items"] if t["name"] == "CAPA review"] == [v2["id"]]
    every_version = client.get("/api/workflow-templates/?include_retired=true").json()["items"]
    assert sorted(t["version"] for t in every_version if t["name"] == "CAPA review") == [1, 2]

    # The running instance still needs one approval; a new one needs two.
    running.refresh_from_db()
    with transaction.atomic():
        services.approve(instance=running, actor=qam1)
    running.refresh_from_db()
    assert running.current_state.name == "closed"
    with transaction.atomic():
        fresh = services.start(record=GroupFactory(), template=template, actor=author)  # via the old id
        services.transition(instance=fresh, name="submit", actor=admin_user)
    assert fresh.template_id == v2["id"]
    fresh.refresh_from_db()
    with transaction.atomic():
        services.approve(instance=fresh, actor=qam1)
    fresh.refresh_from_db()
    assert fresh.current_state.name == "review"
    with transaction.atomic():
        services.approve(instance=fresh, actor=qam2)
    fresh.refresh_from_db()
    assert fresh.current_state.name == "closed"

    # A retired version cannot be edited.
    retired = client.put(f"/api/workflow-templates/{template.pk}", SIMPLE, format="json")
    assert retired.status_code == 409 and retired.json()["error_code"] == "TEMPLATE_RETIRED"


def test_default_definition_is_valid_and_round_trips():
    template = selectors.template_list().get(name="Document approval")
    from workflows.definition import definition_of, validate_definition

    assert validate_definition(definition_of(template)) == []
    assert validate_definition(DOCUMENT_APPROVAL) == []
