"""Every free-text field of the training API has the shared maximum (qms.api.limits, in the schema
as maxLength; longer is a 422), and every reason the training services require must say why:
at least REASON_MIN_LENGTH characters (audit.services.require_reason)."""

import pytest

from audit.models import AuditEvent
from conftest import PASSWORD
from qms.api import limits
from training import services
from training.models import Completion

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

TOO_LONG = {
    "title": "x" * (limits.NAME + 1),
    "description": "x" * (limits.DESCRIPTION + 1),
    "reason": "x" * (limits.REASON + 1),
    "intent": "x" * (limits.REASON + 1),
    "comment": "x" * (limits.COMMENT + 1),
    "password": "x" * (limits.PASSWORD + 1),
}


@pytest.fixture
def setup(admin_user, qa_manager):
    program = ProgramFactory(title="GMP basics")
    assignment = AssignmentFactory(program=program, user=qa_manager)
    registration = services.register_for_training(actor=qa_manager, program=ProgramFactory(requires_signature=False))
    return {"program": program.pk, "assignment": assignment.pk, "registration": registration.pk}


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        ("post", "/api/training/", {"title": TOO_LONG["title"], "category": "GMP"}, "title"),
        ("post", "/api/training/", {"title": "T", "category": "GMP", "description": TOO_LONG["description"]}, "description"),
        ("put", "/api/training/{program}", {"title": "T", "reason": TOO_LONG["reason"]}, "reason"),
        ("post", "/api/training/{program}/retire", {"reason": TOO_LONG["reason"]}, "reason"),
        ("post", "/api/training/assign", {"training_id": 1, "user_ids": [1], "reason": TOO_LONG["reason"]}, "reason"),
        ("post", "/api/training/{program}/complete", {"intent": TOO_LONG["intent"]}, "intent"),
        ("post", "/api/training/{program}/complete", {"comment": TOO_LONG["comment"]}, "comment"),
        ("post", "/api/training/{program}/complete", {"password": TOO_LONG["password"]}, "password"),
        ("post", "/api/training/assignments/{assignment}/cancel", {"reason": TOO_LONG["reason"]}, "reason"),
        ("put", "/api/training/registrations/{registration}", {"reason": TOO_LONG["reason"]}, "reason"),
    ],
)
def test_free_text_over_its_maximum_is_a_422(client_for, qa_manager, setup, method, path, body, field):
    response = getattr(client_for(qa_manager), method)(path.format(**setup), body, format="json")

    assert response.status_code == 422, response.content[:300]
    messages = [item["msg"] for item in response.json()["detail"] if item["loc"] == ["body", field]]
    assert messages and "no more than" in messages[0]


def test_lists_of_ids_are_bounded_like_every_list(client_for, qa_manager, setup):
    ids = list(range(1, limits.LIST_ITEMS + 2))

    response = client_for(qa_manager).post("/api/training/bulk-assign", {"training_ids": ids, "user_ids": [1]}, format="json")

    assert response.status_code == 422
    assert ["body", "training_ids"] in [item["loc"] for item in response.json()["detail"]]


def _training_request_schemas(schema: dict) -> set[str]:
    names = set()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/training"):
            continue
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media["schema"].get("$ref", "")
                names.add(ref.rsplit("/", 1)[-1])
    return names - {""}


def test_every_text_field_of_a_training_request_has_its_maximum_in_the_schema(client):
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    names = _training_request_schemas(schema)

    unbounded = [
        f"{name}.{field}"
        for name in names
        for field, prop in components[name].get("properties", {}).items()
        if prop.get("type") == "string" and "enum" not in prop and "format" not in prop and "maxLength" not in prop
    ]
    unbounded_lists = [
        f"{name}.{field}"
        for name in names
        for field, prop in components[name].get("properties", {}).items()
        if prop.get("type") == "array" and "maxItems" not in prop
    ]
    assert {"ProgramWriteRequest", "AssignRequestRequest", "CompleteRequestRequest", "RequiredReasonRequest"} <= names
    assert unbounded == [] and unbounded_lists == []
    assert components["ProgramUpdateRequest"]["properties"]["reason"]["maxLength"] == limits.REASON
    assert components["ProgramWriteRequest"]["properties"]["description"]["maxLength"] == limits.DESCRIPTION


# --- reasons ---------------------------------------------------------------------------------------------


@pytest.fixture
def completion(qa_manager):
    assignment = AssignmentFactory(program=ProgramFactory(title="GMP basics"), user=qa_manager)
    services.complete_training(actor=qa_manager, program=assignment.program, password=PASSWORD)
    return Completion.objects.get(assignment=assignment)


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/training/{program}", {"title": "GMP basics (2026)", "reason": "Typo"}),
        ("/api/training/{program}/retire", {"reason": "Old"}),
        ("/api/training/assignments/{assignment}/cancel", {"reason": "x"}),
        ("/api/training/completions/{completion}/revoke", {"reason": "oops"}),
    ],
)
def test_a_required_reason_must_say_why(client_for, qa_manager, setup, completion, path, body):
    url = path.format(**setup, completion=completion.pk)
    client = client_for(qa_manager)
    before = AuditEvent.objects.count()

    response = (
        client.put(url, body, format="json") if "reason" in body and "title" in body else client.post(url, body, format="json")
    )

    assert response.status_code == 422, response.json()
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "reason"] and problem["type"] == "value_error.min_length"
    assert "at least 10 characters" in problem["msg"]
    assert AuditEvent.objects.count() == before, "nothing was changed"


def test_linked_documents_are_located_by_index_when_unknown(client_for, qa_manager):
    body = {"title": "GMP basics", "category": "GMP", "linked_document_ids": [999999, "x"]}

    response = client_for(qa_manager).post("/api/training/", body, format="json")

    assert response.status_code == 422
    locs = [item["loc"] for item in response.json()["detail"]]
    assert ["body", "linked_document_ids", 0] in locs and ["body", "linked_document_ids", 1] in locs
