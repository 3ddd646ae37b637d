"""Document templates: the seed's POST /api/templates/use, typed variables (missing, undeclared and
wrong-type values are 422 naming each variable), sandboxed rendering, editing."""

import io

import pytest

from audit.models import AuditEvent
from documents import rendering
from documents.models import DocumentTemplate, DocumentVersion

pytestmark = pytest.mark.django_db

SEED_BODY = {"template_id": 1, "variables": {"title": "Quality Manual", "version": "1.0", "author": "John Doe"}}


@pytest.mark.requirement("QMS-DOC-TEMPLATES")
def test_seed_template_use_works_verbatim(api, qa_user):
    client = api(qa_user)
    listed = client.get("/api/templates/").json()
    assert listed["items"][0]["id"] == 1 and listed["items"][0]["name"] == "Quality Manual"

    response = client.post("/api/templates/use", SEED_BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["status"], body["version"]) == ("Quality Manual", "draft", "1.0")
    assert body["document_type"]["code"] == "POL" and body["number"] == "POL-0001"
    assert body["category"] == "Quality"
    assert body["current_version"]["mime_type"].endswith("wordprocessingml.document")
    assert body["file_path"].endswith("quality-manual-v1.0.docx")

    version = DocumentVersion.objects.get(document_id=body["id"])
    assert version.source_text.startswith("# Quality Manual\n\n**Version:** 1.0\n**Author:** John Doe")
    assert "our organisation" in version.source_text  # the default of an optional variable
    assert "{{" not in version.source_text
    assert version.processing_status == "completed"
    assert "John Doe" in version.extracted_text  # the generated DOCX really contains the rendered text
    event = AuditEvent.objects.get(resource_type="document", resource_id=body["id"], action="create")
    assert event.new_values["template_id"] == 1 and event.new_values["variables"]["author"] == "John Doe"
    assert DocumentTemplate.objects.get(pk=1).usage_count == 1


def test_pdf_output_with_choice_and_date_variables(api, qa_user):
    template = DocumentTemplate.objects.get(name="Standard Operating Procedure")
    response = api(qa_user).post(
        "/api/templates/use",
        {
            "template_id": template.pk,
            "variables": {
                "title": "Line clearance",
                "author": "Ann",
                "department": "Production",
                "review_date": "2027-01-31",
                "purpose": "Prevent **mix-ups** between batches",
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    version = DocumentVersion.objects.get(document_id=response.json()["id"])
    assert version.mime_type == "application/pdf"
    with version.file.open("rb") as f:
        assert f.read(5) == b"%PDF-"
    assert "Review date:** 2027-01-31" in version.source_text
    assert "Prevent mix-ups between batches" in version.extracted_text
    assert version.page_count == 1


def test_missing_undeclared_and_wrong_type_variables_are_422_naming_each(client_for, qa_user):
    template = DocumentTemplate.objects.get(name="Standard Operating Procedure")
    response = client_for(qa_user).post(
        "/api/templates/use",
        {
            "template_id": template.pk,
            "variables": {
                "title": 42,  # wrong type: strings must be strings
                "department": "Marketing",  # not one of the choices
                "review_date": "31/01/2027",  # not an ISO date
                "colour": "blue",  # undeclared
            },
        },
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["error_code"] == "TEMPLATE_VARIABLES_INVALID"
    problems = {tuple(p["loc"]): p for p in response.json()["detail"]}
    assert set(problems) == {
        ("body", "variables", "title"),
        ("body", "variables", "department"),
        ("body", "variables", "review_date"),
        ("body", "variables", "colour"),
        ("body", "variables", "author"),
        ("body", "variables", "purpose"),
    }
    assert problems[("body", "variables", "author")]["type"] == "value_error.missing"
    assert problems[("body", "variables", "colour")]["type"] == "value_error.extra"
    assert problems[("body", "variables", "title")]["type"] == "type_error"
    assert "Quality Assurance" in problems[("body", "variables", "department")]["msg"]
    assert not DocumentVersion.objects.exists()


def test_number_and_email_types():
    spec = [
        {"name": "dose", "parameter_type": "number", "is_required": True},
        {"name": "contact", "parameter_type": "email", "is_required": True},
    ]
    assert rendering.resolve_values(spec, {"dose": "12.50", "contact": "qa@example.com"}) == {
        "dose": "12.50",
        "contact": "qa@example.com",
    }
    assert rendering.resolve_values(spec, {"dose": 3, "contact": "a@b.io"})["dose"] == "3"
    with pytest.raises(rendering.TemplateVariablesInvalid) as exc:
        rendering.resolve_values(spec, {"dose": "twelve", "contact": "not-an-email"})
    assert [p[0] for p in exc.value.problems] == [["variables", "dose"], ["variables", "contact"]]
    with pytest.raises(rendering.TemplateVariablesInvalid):
        rendering.resolve_values(spec, {"dose": True, "contact": "a@b.io"})


@pytest.mark.requirement("QMS-DOC-TEMPLATES")
def test_rendering_is_sandboxed():
    body = (
        "{{ title }} {% load static %}{% include 'base.html' %} {{ title.__class__ }} {{ settings.SECRET_KEY }}"
        " {{title}} {# comment #}"
    )
    variables = [{"name": "title", "parameter_type": "string", "is_required": True}]
    values = rendering.resolve_values(variables, {"title": "{{ title }} {% debug %}"})
    out = rendering.render(body, values)
    # Only declared {{ name }} placeholders are replaced, once; everything else is left as text.
    assert out == (
        "{{ title }} {% debug %} {% load static %}{% include 'base.html' %} {{ title.__class__ }} {{ settings.SECRET_KEY }}"
        " {{ title }} {% debug %} {# comment #}"
    )


def test_templates_with_undeclared_placeholders_are_refused(client_for, qa_manager):
    response = client_for(qa_manager).post(
        "/api/templates/",
        {
            "name": "Broken",
            "document_type": 1,
            "body": "Hello {{ name }} and {{ other }}",
            "variables": [
                {"name": "name", "parameter_type": "string", "is_required": True},
                {"name": "name", "parameter_type": "string"},
                {"name": "kind", "parameter_type": "choice"},
            ],
        },
        format="json",
    )
    assert response.status_code == 422
    messages = [(tuple(p["loc"]), p["msg"]) for p in response.json()["detail"]]
    assert any(loc == ("body", "variables", 1, "name") and "twice" in msg for loc, msg in messages)
    assert any(loc == ("body", "variables", 2, "choices") for loc, msg in messages)
    assert any(loc == ("body", "body") and "other" in msg for loc, msg in messages)


def test_create_update_and_filter_templates(client_for, qa_manager, qa_user):
    manager = client_for(qa_manager)
    created = manager.post(
        "/api/templates/",
        {
            "name": "Deviation memo",
            "description": "Memo",
            "category": "Deviations",
            "document_type": 3,
            "body": "# Memo {{ number }}\n\nBatch {{ batch }}",
            "variables": [
                {"name": "number", "parameter_type": "number", "is_required": True},
                {"name": "batch", "parameter_type": "string", "default_value": "n/a"},
            ],
            "output_format": "pdf",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    template_id = created.json()["id"]
    assert (
        client_for(qa_user).post("/api/templates/", {"name": "x", "document_type": 1, "body": "x"}, format="json").status_code
        == 403
    )

    updated = manager.put(
        f"/api/templates/{template_id}",
        {"description": "Short memo", "reason": "Wording", "row_version": created.json()["row_version"]},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["description"] == "Short memo"
    stale = manager.put(
        f"/api/templates/{template_id}", {"description": "x", "row_version": created.json()["row_version"]}, format="json"
    )
    assert stale.status_code == 409

    listed = client_for(qa_user).get("/api/templates/?category=deviations").json()
    assert [t["name"] for t in listed["items"]] == ["Deviation memo"]
    assert listed["items"][0]["variable_count"] == 2 and "body" not in listed["items"][0]
    assert client_for(qa_user).get(f"/api/templates/{template_id}").json()["body"].startswith("# Memo")


def test_use_unknown_or_inactive_template(client_for, qa_user):
    client = client_for(qa_user)
    assert client.post("/api/templates/use", {"template_id": 999, "variables": {}}, format="json").status_code == 404
    DocumentTemplate.objects.filter(pk=1).update(is_active=False)
    assert client.post("/api/templates/use", SEED_BODY, format="json").status_code == 409


def test_markdown_to_docx_keeps_structure():
    import docx

    data = rendering.to_docx("# Title\n\nIntro **bold** text\n\n- one\n- two\n\n1. first\n", title="T")
    document = docx.Document(io.BytesIO(data))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles == [
        ("Heading 1", "Title"),
        ("Normal", "Intro bold text"),
        ("List Bullet", "one"),
        ("List Bullet", "two"),
        ("List Number", "first"),
    ]
    assert [r.bold for r in document.paragraphs[1].runs] == [False, True, False]
