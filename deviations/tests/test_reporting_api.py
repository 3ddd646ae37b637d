"""Reporting a deviation through the API, as anyone on the floor does: the active form's answers
(JSON, or multipart with photos and files), numbered DEV-<year>-NNNN, fields taken from the
answers, the due date from the severity, records picked on the form linked, nothing half-written;
and who sees what."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from deviations.models import Attachment, Deviation, FormStatus, FormTemplate, SeverityDueRule
from qms.events import OutboxEvent

from .conftest import pdf_upload, png_upload, stored_files
from .factories import DeviationFactory, report_answers

pytestmark = pytest.mark.django_db

URL = "/api/deviations/"


def test_a_user_reports_a_deviation_with_json(client_for, basic_user):
    response = client_for(basic_user).post(URL, {"form_data": report_answers(severity="Critical")}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    year = timezone.localdate().year
    assert body["number"] == f"DEV-{year}-0001" and body["status"] == "reported"
    assert body["title"] == "Torn seal on the filling line" and body["severity"] == "Critical"
    assert body["category"]["name"] == "Process" and body["area"]["name"] == "Packaging"
    assert body["occurred_at"] == "2025-03-01" and body["immediate_action"] == "Line stopped, product quarantined"
    assert body["reported_by"]["username"] == basic_user.username and body["owner"] is None
    # Critical: 7 days (the seeded due-date rule).
    assert body["due_date"] == (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    assert body["form_version"]["name"] == "Standard deviation report"
    assert body["form_answers"]["classification"]["severity"] == {"type": "select", "value": "Critical"}
    assert body["workflow"]["state"]["name"] == "reported" and body["workflow"]["template"]["name"] == "Deviation handling"
    assert response["ETag"] == f'"{body["row_version"]}"'
    event = AuditEvent.objects.get(resource_type="deviation", resource_id=body["id"], action="create")
    assert event.actor_id == basic_user.pk and event.new_values["number"] == body["number"]
    assert OutboxEvent.objects.filter(name="deviation.reported", resource_id=body["id"]).exists()


def test_the_due_date_follows_the_rule_kept_in_the_admin(client_for, basic_user):
    SeverityDueRule.objects.filter(severity="Low").update(due_days=90)
    body = client_for(basic_user).post(URL, {"form_data": report_answers(severity="Low")}, format="json").json()
    assert body["due_date"] == (timezone.localdate() + datetime.timedelta(days=90)).isoformat()


def test_numbers_are_consecutive(client_for, basic_user):
    client = client_for(basic_user)
    numbers = [client.post(URL, {"form_data": report_answers()}, format="json").json()["number"] for _ in range(3)]
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["0001", "0002", "0003"]


def test_multipart_with_a_photo_a_file_and_a_picked_document(client_for, basic_user, effective_document, media_root):
    answers = report_answers(procedure=[effective_document.number])
    response = client_for(basic_user).post(
        URL,
        {
            "form_data": json.dumps(answers),
            "attachments.photos": png_upload("seal.png"),
            "attachments": pdf_upload("batch-record.pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    photo = body["form_answers"]["attachments"]["photos"]["value"][0]
    assert photo["name"] == "seal.png" and photo["mime_type"] == "image/png" and photo["storage_name"]
    assert {(a["field"], a["name"]) for a in body["attachments"]} == {
        ("attachments.photos", "seal.png"),
        ("", "batch-record.pdf"),
    }
    # The document picked on the form is a related item, at the version the reporter saw.
    [link] = body["links"]
    assert (link["type"], link["number"], link["version"], link["source"]) == (
        "document",
        effective_document.number,
        "1.0",
        "report_form",
    )
    assert len(stored_files(media_root)) == 2 + 1  # the two attachments and the document's own file

    download = client_for(basic_user).get(next(a["download_url"] for a in body["attachments"] if a["field"]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert download["X-Content-SHA256"] == photo["sha256"]
    downloaded = AuditEvent.objects.get(subject_type="deviation", subject_id=body["id"], action="download")
    assert downloaded.resource_type == "deviation_attachment" and downloaded.new_values["sha256"] == photo["sha256"]


def test_three_bad_answers_come_back_together_in_one_422(client_for, basic_user):
    answers = report_answers(title="", occurred_at="2999-01-01", severity="Catastrophic")
    response = client_for(basic_user).post(URL, {"form_data": answers}, format="json")
    assert response.status_code == 422 and response.json()["error_code"] == "FORM_ANSWERS_INVALID"
    assert {tuple(item["loc"]) for item in response.json()["detail"]} == {
        ("body", "form_data", "event", "title"),
        ("body", "form_data", "event", "occurred_at"),
        ("body", "form_data", "classification", "severity"),
    }
    assert not Deviation.objects.exists()


def test_a_bad_file_leaves_nothing_behind(client_for, basic_user, media_root):
    fake = SimpleUploadedFile("notes.pdf", b"this is not a PDF", content_type="application/pdf")
    response = client_for(basic_user).post(
        URL,
        {"form_data": json.dumps(report_answers()), "attachments.photos": png_upload(), "attachments": [pdf_upload(), fake]},
        format="multipart",
    )
    assert response.status_code == 415 and response.json()["loc"] == ["attachments", 1]
    assert not Deviation.objects.exists() and not Attachment.objects.exists() and stored_files(media_root) == []


def test_a_failure_after_the_files_were_written_removes_them(client_for, basic_user, media_root, monkeypatch):
    from deviations import services

    def broken(**kwargs):
        raise RuntimeError("the workflow could not start")

    monkeypatch.setattr(services.records_services, "start_record", broken)
    with pytest.raises(RuntimeError):
        client_for(basic_user).post(
            URL, {"form_data": json.dumps(report_answers()), "attachments.photos": png_upload()}, format="multipart"
        )
    assert not Deviation.objects.exists() and stored_files(media_root) == []


def test_an_oversized_photo_is_413(client_for, basic_user, settings):
    settings.MAX_UPLOAD_MB = 0
    response = client_for(basic_user).post(
        URL, {"form_data": json.dumps(report_answers()), "attachments.photos": png_upload()}, format="multipart"
    )
    assert response.status_code == 413 and response.json()["loc"] == ["form_data", "attachments", "photos"]
    assert not Deviation.objects.exists()


def test_the_severity_suggestion_shown_is_kept_beside_the_choice(client_for, basic_user):
    suggestion = {
        "severity": "Medium",
        "confidence": 0.71,
        "rationale": "Similar to earlier seal issues",
        "method": "similar_history",
    }
    body = (
        client_for(basic_user)
        .post(URL, {"form_data": report_answers(severity="High"), "severity_suggestion": suggestion}, format="json")
        .json()
    )
    assert body["severity"] == "High" and body["severity_suggestion"] == suggestion
    bad = client_for(basic_user).post(
        URL, {"form_data": report_answers(), "severity_suggestion": {"severity": "Huge", "confidence": 3}}, format="json"
    )
    assert bad.status_code == 422
    assert {tuple(i["loc"]) for i in bad.json()["detail"]} == {
        ("body", "severity_suggestion", "severity"),
        ("body", "severity_suggestion", "confidence"),
    }


def test_without_an_active_form_nothing_can_be_reported(client_for, basic_user):
    FormTemplate.objects.filter(status=FormStatus.ACTIVE).update(status=FormStatus.RETIRED)
    response = client_for(basic_user).post(URL, {"form_data": report_answers()}, format="json")
    assert response.status_code == 409 and response.json()["error_code"] == "NO_ACTIVE_FORM"


def test_a_deactivated_area_cannot_be_reported(client_for, basic_user):
    from deviations.models import Area

    Area.objects.filter(name="Packaging").update(is_active=False)
    response = client_for(basic_user).post(URL, {"form_data": report_answers()}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "form_data", "event", "area"]


# --- who sees what ---------------------------------------------------------------------------------------


def test_reporters_see_their_own_deviations_qa_and_auditors_see_all(client_for, basic_user, make_user, qa_user, auditor):
    mine = DeviationFactory(reporter=basic_user)
    theirs = DeviationFactory()
    reporter = client_for(basic_user)
    assert [d["number"] for d in reporter.get(URL).json()["items"]] == [mine.number]
    assert reporter.get(f"{URL}{theirs.pk}").status_code == 404
    assert reporter.get(f"{URL}{mine.pk}").status_code == 200
    for user in (qa_user, auditor):
        assert client_for(user).get(URL).json()["total"] == 2
        assert client_for(user).get(f"{URL}{theirs.pk}").status_code == 200


def test_the_auditor_reads_but_cannot_report_change_or_link(client_for, auditor):
    deviation = DeviationFactory()
    client = client_for(auditor)
    assert client.post(URL, {"form_data": report_answers()}, format="json").status_code == 403
    change = client.put(f"{URL}{deviation.pk}", {"title": "x", "reason": "x for the record", "row_version": 1}, format="json")
    assert change.status_code == 403
    link = client.post(
        f"{URL}{deviation.pk}/links", {"target_type": "deviation", "target": "1", "reason": "x for the record"}, format="json"
    )
    assert link.status_code == 403
    assert client.post(f"{URL}{deviation.pk}/transition", {"transition": "start_investigation"}, format="json").status_code == 403


def test_ids_that_are_not_numbers_or_unknown_are_404(client_for, qa_user):
    client = client_for(qa_user)
    for path in ("abc", "abc/links", "1x/workflow", "1/attachments/x"):
        assert client.get(f"{URL}{path}").status_code == 404, path
    for path in ("999999", "999999/links", "999999/workflow", "999999/attachments/1"):
        response = client.get(f"{URL}{path}")
        assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND", path


def test_a_body_that_is_not_an_object_is_422(client_for, basic_user):
    for body in ([1, 2], "text", 3):
        response = client_for(basic_user).post(URL, body, format="json")
        assert response.status_code == 422 and response.json()["error_code"] == "VALIDATION_ERROR", body
    bad_json = client_for(basic_user).post(URL, {"form_data": "{not json"}, format="multipart")
    assert bad_json.status_code == 422 and bad_json.json()["detail"][0]["loc"] == ["body", "form_data"]


def test_the_words_that_describe_a_deviation_for_search(qa_user):
    deviation = DeviationFactory(title="Glass particle in vial", product="Saline 10 ml")
    text = deviation.search_text()
    assert "Glass particle in vial" in text and "Saline 10 ml" in text and deviation.immediate_action in text
