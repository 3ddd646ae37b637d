"""The deviation form API as a QA Manager and a reporter use it: create a draft, change it, publish
it (one reporting form at a time), versions that are published or in use are never changed in
place, answers checked with every problem at once, and the audit trail of each step."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from deviations import usage
from deviations.models import FormStatus, FormTemplate

from .conftest import pdf_upload, png_upload, standard_report_answers
from .factories import definition, field, report_sections, section

pytestmark = pytest.mark.django_db

URL = "/api/deviations/form-templates/"


def body(**overrides) -> dict:
    """A form that can report deviations (the record's fields, severities Low and High)."""
    data = definition(*report_sections(severities=["Low", "High"]), name="Line deviation report")
    return {**data, **overrides}


@pytest.fixture
def manager_api(client_for, qa_manager):
    return client_for(qa_manager)


@pytest.fixture
def draft(manager_api):
    response = manager_api.post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def events_for(template_id):
    return list(AuditEvent.objects.filter(resource_type="form_template", resource_id=template_id).order_by("sequence"))


def test_a_manager_creates_a_draft_and_it_is_audited(manager_api, draft, qa_manager):
    assert draft["version"] == 1 and draft["status"] == "draft" and draft["is_active"] is False
    assert draft["previous_version"] is None and draft["in_use"] is False and draft["usage_count"] == 0
    assert draft["created_by"]["username"] == qa_manager.username
    keys = [f["key"] for s in draft["sections"] for f in s["fields"]]
    assert keys == ["title", "description", "occurred_at", "area", "category", "severity"]
    category, severity = draft["sections"][1]["fields"]
    assert severity["options"] == [{"value": "Low", "label": "Low"}, {"value": "High", "label": "High"}]
    # Category choices come from the admin's categories, shown as they are now.
    assert category["options_from"] == "deviation_categories" and {"value": "Process", "label": "Process"} in category["options"]
    [event] = events_for(draft["id"])
    assert event.action == "create" and event.actor_id == qa_manager.pk
    assert event.new_values["status"] == "draft" and event.new_values["sections"][0]["key"] == "event"


def test_a_bad_definition_lists_every_problem(manager_api):
    bad = body(
        sections=[
            section("event", field("title"), field("title", "select")),
            section("Bad Key", field("units", "number", min="ten")),
        ]
    )
    response = manager_api.post(URL, bad, format="json")
    assert response.status_code == 422 and response.json()["error_code"] == "FORM_TEMPLATE_INVALID"
    assert {tuple(item["loc"]) for item in response.json()["detail"]} == {
        ("body", "sections", 0, "fields", 1, "key"),
        ("body", "sections", 0, "fields", 1, "options"),
        ("body", "sections", 1, "key"),
        ("body", "sections", 1, "fields", 0, "min"),
    }
    assert not FormTemplate.objects.filter(name="Line deviation report").exists()


def test_shape_errors_are_422_with_their_location(manager_api):
    response = manager_api.post(URL, body(sections=[{"key": "event", "title": "Event", "fields": [{"key": "x"}]}]), format="json")
    assert response.status_code == 422
    assert {tuple(i["loc"]) for i in response.json()["detail"]} == {
        ("body", "sections", 0, "fields", 0, "label"),
        ("body", "sections", 0, "fields", 0, "type"),
    }


def test_names_are_unique_across_forms(manager_api, draft):
    response = manager_api.post(URL, body(), format="json")
    assert response.status_code == 409 and response.json()["error_code"] == "NAME_TAKEN"


def test_a_draft_is_changed_in_place(manager_api, draft):
    changed = body(description="Production lines only")
    response = manager_api.put(f"{URL}{draft['id']}", {**changed, "row_version": draft["row_version"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == draft["id"] and response.json()["version"] == 1
    assert response.json()["description"] == "Production lines only"
    assert response.json()["row_version"] == draft["row_version"] + 1
    update = events_for(draft["id"])[-1]
    assert update.action == "update"
    assert update.old_values == {"description": ""} and update.new_values == {"description": "Production lines only"}

    stale = manager_api.put(f"{URL}{draft['id']}", {**body(), "row_version": draft["row_version"]}, format="json")
    assert stale.status_code == 409 and stale.json()["error_code"] == "VERSION_CONFLICT"


def test_publishing_makes_the_one_active_reporting_form(manager_api, draft, qa_manager):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    assert manager_api.get(f"{URL}active").json()["id"] == standard.pk

    no_reason = manager_api.post(f"{URL}{draft['id']}/publish", {}, format="json")
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]

    response = manager_api.post(f"{URL}{draft['id']}/publish", {"reason": "Line-specific questions"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active" and response.json()["published_by"]["username"] == qa_manager.username
    assert manager_api.get(f"{URL}active").json()["id"] == draft["id"]
    standard.refresh_from_db()
    assert standard.status == FormStatus.RETIRED
    assert FormTemplate.objects.filter(status=FormStatus.ACTIVE).count() == 1

    publish = events_for(draft["id"])[-1]
    assert publish.action == "publish" and publish.reason == "Line-specific questions"
    assert publish.old_values == {"status": "draft", "active_version": "Standard deviation report v1"}
    retire = events_for(standard.pk)[-1]
    assert retire.action == "retire" and retire.new_values["status"] == "retired"

    again = manager_api.post(f"{URL}{draft['id']}/publish", {"reason": "again for the record"}, format="json")
    assert again.status_code == 409 and again.json()["error_code"] == "ALREADY_ACTIVE"

    # A retired version can be brought back.
    back = manager_api.post(f"{URL}{standard.pk}/publish", {"reason": "Back to the standard form"}, format="json")
    assert back.status_code == 200 and back.json()["status"] == "active"
    assert manager_api.get(f"{URL}{draft['id']}").json()["status"] == "retired"


def test_a_form_without_fields_cannot_be_published(manager_api):
    empty = manager_api.post(URL, body(sections=[section("event")]), format="json").json()
    response = manager_api.post(f"{URL}{empty['id']}/publish", {"reason": "Try for the record"}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0] == {
        "loc": ["body", "sections"],
        "msg": "Add at least one field before publishing.",
        "type": "value_error.missing",
    }
    # ... and the fields a deviation cannot do without, each named.
    missing = " ".join(item["msg"] for item in response.json()["detail"][1:])
    for key in ("title", "description", "occurred_at", "area", "category", "severity"):
        assert f"key {key!r}" in missing


def test_a_published_version_is_never_changed_in_place(manager_api, draft):
    published = manager_api.post(f"{URL}{draft['id']}/publish", {"reason": "Go live for the record"}, format="json").json()
    changed = body(sections=[*body()["sections"], section("product", field("batch"))])

    response = manager_api.put(f"{URL}{draft['id']}", {**changed, "reason": "Ask for the batch"}, format="json")
    assert response.status_code == 200, response.json()
    new = response.json()
    assert new["id"] != draft["id"] and new["version"] == 2 and new["previous_version"] == draft["id"]
    assert new["status"] == "draft" and [s["key"] for s in new["sections"]][-1] == "product"
    old = manager_api.get(f"{URL}{draft['id']}").json()
    assert (
        old["status"] == "active" and old["sections"] == published["sections"] and old["row_version"] == published["row_version"]
    )
    assert events_for(new["id"])[0].reason == "Ask for the batch"

    # Only the latest version changes: the published v1 now has a newer draft.
    stale = manager_api.put(f"{URL}{draft['id']}", changed, format="json")
    assert stale.status_code == 409 and stale.json()["error_code"] == "FORM_TEMPLATE_NOT_LATEST"
    assert stale.json()["latest_version_id"] == new["id"]

    # Sending the same definition changes nothing.
    same = manager_api.put(f"{URL}{new['id']}", changed, format="json")
    assert same.json()["row_version"] == new["row_version"] and same.json()["id"] == new["id"]


@pytest.fixture
def reported_with():
    """A minimal reference: records "reported with" a version, counted the way the deviation record will be."""
    references: list[int] = []

    def count(version_ids):
        return {vid: references.count(vid) for vid in version_ids if vid in references}

    usage.register_usage("test-reports", count)
    yield references
    usage.unregister_usage("test-reports")


@pytest.mark.requirement("QMS-DEVIATIONS")
def test_a_version_in_use_cannot_be_edited_in_place(manager_api, draft, reported_with):
    reported_with.append(draft["id"])
    assert manager_api.get(f"{URL}{draft['id']}").json()["in_use"] is True
    assert manager_api.get(URL, {"status": "draft"}).json()["items"][0]["usage_count"] == 1

    response = manager_api.put(f"{URL}{draft['id']}", body(description="Changed"), format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2 and response.json()["previous_version"] == draft["id"]
    assert FormTemplate.objects.get(pk=draft["id"]).description == ""


def test_reference_counter_counts_foreign_keys_in_one_query(django_assert_num_queries):
    first = FormTemplate.objects.get(name="Standard deviation report")
    second = FormTemplate.objects.create(family=first.family, version=2, previous_version=first, name=first.name)
    counter = usage.references(FormTemplate, "previous_version")
    with django_assert_num_queries(1):
        assert counter([first.pk, second.pk]) == {first.pk: 1}


def test_reporters_read_published_forms_only(client_for, basic_user, draft, manager_api):
    reporter = client_for(basic_user)
    assert reporter.get(f"{URL}{draft['id']}").status_code == 404
    listed = reporter.get(URL).json()
    assert [t["name"] for t in listed["items"]] == ["Standard deviation report"]
    assert listed["total"] == 1 and listed["page"] == 1
    assert reporter.get(f"{URL}active").json()["name"] == "Standard deviation report"
    assert manager_api.get(URL).json()["total"] == 2


def test_writes_need_manage_forms_and_reads_need_a_deviation_permission(client_for, basic_user, make_user, draft):
    reporter = client_for(basic_user)
    assert reporter.post(URL, body(name="Other"), format="json").status_code == 403
    assert reporter.put(f"{URL}{draft['id']}", body(), format="json").status_code in (403, 404)
    standard = FormTemplate.objects.get(name="Standard deviation report")
    denied = reporter.put(f"{URL}{standard.pk}", body(), format="json")
    assert denied.status_code == 403 and denied.json()["error_code"] == "PERMISSION_DENIED"
    assert reporter.post(f"{URL}{standard.pk}/publish", {"reason": "x for the record"}, format="json").status_code == 403
    nobody = client_for(make_user(None, username="norole"))
    assert nobody.get(URL).status_code == 403
    assert nobody.get(f"{URL}active").status_code == 403


def test_ids_that_are_not_numbers_or_unknown_are_404(manager_api):
    assert manager_api.get(f"{URL}abc").status_code == 404
    assert manager_api.get(f"{URL}999999").json()["error_code"] == "NOT_FOUND"
    assert manager_api.post(f"{URL}abc/publish", {"reason": "x for the record"}, format="json").status_code == 404


def test_no_active_form_is_404_with_its_code(manager_api):
    FormTemplate.objects.update(status=FormStatus.RETIRED)
    response = manager_api.get(f"{URL}active")
    assert response.status_code == 404 and response.json()["error_code"] == "NO_ACTIVE_FORM"


def test_list_filters_and_sorting(manager_api, draft):
    assert [t["id"] for t in manager_api.get(URL, {"status": "draft"}).json()["items"]] == [draft["id"]]
    assert [t["name"] for t in manager_api.get(URL, {"sort": "name desc"}).json()["items"]] == [
        "Standard deviation report",
        "Line deviation report",
    ]
    bad = manager_api.get(URL, {"sort": "colour"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "sort"]


def test_list_queries_do_not_grow_with_the_page(manager_api, qa_manager, django_assert_max_num_queries):
    from deviations import services

    for n in range(12):
        services.create_form_template(actor=qa_manager, definition=body(name=f"Form {n}"))
    with django_assert_max_num_queries(8) as few:
        manager_api.get(URL, {"page_size": 2})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(manager_api.get(URL, {"page_size": 13}).json()["items"]) == 13


# --- checking answers ------------------------------------------------------------------------------


def test_a_submission_with_three_bad_fields_gets_all_three_in_one_422(client_for, basic_user, draft):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    answers = {
        "event": {"title": "", "description": "Seal torn", "occurred_at": "2999-01-01", "area": "Packaging"},
        "classification": {"category": "Process", "severity": "Catastrophic"},
        "immediate_action": {"immediate_action": "Line stopped"},
    }
    response = client_for(basic_user).post(f"{URL}{standard.pk}/validate", {"form_data": answers}, format="json")
    assert response.status_code == 422
    assert response.json()["error_code"] == "FORM_ANSWERS_INVALID"
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (["body", "form_data", "event", "title"], "value_error.missing"),
        (["body", "form_data", "event", "occurred_at"], "value_error.date.not_le"),
        (["body", "form_data", "classification", "severity"], "value_error.choice"),
    ]


def test_valid_answers_come_back_as_they_would_be_kept(client_for, basic_user, effective_document):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    answers = standard_report_answers()
    response = client_for(basic_user).post(
        f"{URL}{standard.pk}/validate",
        {"form_data": json.dumps(answers), "attachments.photos": [png_upload("a.png"), png_upload("b.png")]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    kept = response.json()["answers"]
    assert kept["event"]["procedure"] == {
        "type": "document_picker",
        "value": [
            {
                "type": "document",
                "id": effective_document.pk,
                "number": "SOP-0001",
                "title": effective_document.title,
                "version": "1.0",
            }
        ],
    }
    assert kept["classification"]["severity"] == {"type": "select", "value": "High"}
    assert kept["product"]["quantity_affected"] == {"type": "number", "value": None}
    assert [p["name"] for p in kept["attachments"]["photos"]["value"]] == ["a.png", "b.png"]


def test_uploads_get_the_document_checks_413_and_415(client_for, basic_user, settings):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    client = client_for(basic_user)
    form_data = json.dumps({"event": {"title": "x"}})

    not_an_image = client.post(
        f"{URL}{standard.pk}/validate", {"form_data": form_data, "attachments.photos": pdf_upload()}, format="multipart"
    )
    assert not_an_image.status_code == 415 and not_an_image.json()["error_code"] == "UNSUPPORTED_FILE_TYPE"
    assert not_an_image.json()["loc"] == ["form_data", "attachments", "photos"]

    settings.MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10))
    too_large = client.post(
        f"{URL}{standard.pk}/validate", {"form_data": form_data, "attachments.files": big}, format="multipart"
    )
    assert too_large.status_code == 413 and too_large.json()["error_code"] == "FILE_TOO_LARGE"

    malformed = client.post(f"{URL}{standard.pk}/validate", {"form_data": "{not json"}, format="multipart")
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["loc"] == ["body", "form_data"]


def test_checking_answers_needs_a_deviation_permission(client_for, make_user):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    response = client_for(make_user(None, username="norole")).post(
        f"{URL}{standard.pk}/validate", {"form_data": {}}, format="json"
    )
    assert response.status_code == 403


def test_services_check_the_permission_themselves(basic_user):
    """Called directly, as a command or the admin would: the same refusal as the API."""
    from deviations import services
    from qms.errors import PermissionDenied

    standard = FormTemplate.objects.get(name="Standard deviation report")
    with pytest.raises(PermissionDenied):
        services.create_form_template(actor=basic_user, definition=body())
    with pytest.raises(PermissionDenied):
        services.update_form_template(actor=basic_user, template=standard, definition=body())
    with pytest.raises(PermissionDenied):
        services.publish_form_template(actor=basic_user, template=standard, reason="x for the record")
    created = services.create_form_template(actor=None, definition=body())  # the system (data migrations, jobs)
    assert created.created_by is None and events_for(created.pk)[0].actor_id is None
