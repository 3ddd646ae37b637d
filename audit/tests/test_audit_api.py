"""GET /api/audit/ (filters, paging, sorting, permissions), /api/audit/{id}, /export (CSV, PDF), /verify."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from audit import checkpoints, immutability, services
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def trail(qa_manager, qa_user, monkeypatch):
    """Seven events over three days by two users on two record types."""
    from django.utils import timezone

    plan = [
        (T0, qa_user, "create", "document", 1, "Created SOP-001"),
        (T0 + datetime.timedelta(hours=1), qa_user, "update", "document", 1, "Renamed SOP-001"),
        (T0 + datetime.timedelta(days=1), qa_manager, "approve", "document", 1, "Approved SOP-001"),
        (T0 + datetime.timedelta(days=1, hours=2), qa_manager, "create", "capa", 5, "Opened CAPA-5"),
        (T0 + datetime.timedelta(days=2), qa_user, "update", "capa", 5, '=HYPERLINK("http://evil")'),
        (T0 + datetime.timedelta(days=2, hours=1), None, "transition", "document", 2, "SOP-002 became effective"),
        (T0 + datetime.timedelta(days=2, hours=3), qa_manager, "update", "document", 2, "Changed SOP-002 owner"),
    ]
    events = []
    for when, actor, action, rtype, rid, summary in plan:
        monkeypatch.setattr(timezone, "now", lambda when=when: when)
        events.append(
            services.record(
                action=action,
                resource_type=rtype,
                resource_id=rid,
                summary=summary,
                actor=actor,
                old_values={"owner": "a"} if action == "update" else None,
                new_values={"owner": "b"} if action == "update" else None,
                reason="periodic review" if action == "update" else "",
            )
        )
    monkeypatch.undo()
    return events


def _ids(response):
    assert response.status_code == 200, response.data
    return [item["id"] for item in response.data["items"]]


def test_auditors_qa_managers_and_admins_can_read_the_trail(client_for, auditor, qa_manager, admin_user, trail):
    for user in (auditor, qa_manager, admin_user):
        assert client_for(user).get("/api/audit/").status_code == 200


def test_others_cannot(client_for, basic_user, qa_user, api_client, trail):
    assert client_for(basic_user).get("/api/audit/").status_code == 403
    assert client_for(qa_user).get("/api/audit/").status_code == 403
    assert api_client.get("/api/audit/").status_code == 401


def test_list_is_newest_first_with_the_envelope_and_every_field(client_for, auditor, trail):
    response = client_for(auditor).get("/api/audit/?page_size=3")
    body = response.data
    assert (body["total"], body["page"], body["page_size"], body["pages"]) == (7, 1, 3, 3)
    assert [i["id"] for i in body["items"]] == [e.pk for e in reversed(trail)][:3]
    item = next(i for i in body["items"] if i["id"] == trail[4].pk)
    assert item["action"] == "update" and item["username"] == "qa1" and item["user_full_name"] == "Quinn QA"
    assert item["old_values"] == {"owner": "a"} and item["new_values"] == {"owner": "b"}
    assert item["reason"] == "periodic review"
    assert item["timestamp"] == "2025-03-03T09:00:00.000000Z"
    assert item["hash"] == trail[4].hash and item["previous_hash"] == trail[3].hash
    for key in ("sequence", "user_id", "resource_type", "resource_id", "summary", "ip_address", "request_id"):
        assert key in item


@pytest.mark.requirement("ANNEX11.9")
def test_filters_combine(client_for, auditor, qa_manager, qa_user, trail):
    client = client_for(auditor)
    e = trail
    assert _ids(client.get(f"/api/audit/?user_id={qa_user.pk}")) == [e[4].pk, e[1].pk, e[0].pk]
    assert _ids(client.get("/api/audit/?action=update")) == [e[6].pk, e[4].pk, e[1].pk]
    assert _ids(client.get(f"/api/audit/?action=update&user_id={qa_user.pk}")) == [e[4].pk, e[1].pk]
    assert _ids(client.get(f"/api/audit/?action=update&user_id={qa_user.pk}&resource_type=document")) == [e[1].pk]
    assert _ids(client.get("/api/audit/?resource_type=document&resource_id=2")) == [e[6].pk, e[5].pk]
    assert _ids(client.get("/api/audit/?action=create,approve")) == [e[3].pk, e[2].pk, e[0].pk]
    assert _ids(client.get("/api/audit/?date_from=2025-03-02&date_to=2025-03-02")) == [e[3].pk, e[2].pk]
    assert _ids(client.get("/api/audit/?date_from=2025-03-03T10:00:00Z")) == [e[6].pk, e[5].pk]
    assert _ids(client.get(f"/api/audit/?user_id={qa_manager.pk}&date_to=2025-03-02T09:30:00Z")) == [e[2].pk]
    assert _ids(client.get("/api/audit/?resource_type=document&date_from=2025-03-02&action=update")) == [e[6].pk]
    assert _ids(client.get("/api/audit/?q=sop-002")) == [e[6].pk, e[5].pk]
    assert _ids(client.get("/api/audit/?resource_type=capa&user_id=999999")) == []


def test_sorting_and_paging(client_for, auditor, trail):
    client = client_for(auditor)
    assert _ids(client.get("/api/audit/?sort=timestamp asc&page_size=2&page=2")) == [trail[2].pk, trail[3].pk]
    assert _ids(client.get("/api/audit/?sort=username asc,timestamp desc&page_size=1")) == [trail[5].pk]  # system ("") first
    response = client.get("/api/audit/?sort=password desc")
    assert response.status_code == 422 and response.data["detail"][0]["loc"] == ["query", "sort"]


def test_invalid_filters_are_422_on_the_query(client_for, auditor, trail):
    response = client_for(auditor).get("/api/audit/?date_from=yesterday&user_id=abc")
    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.data["detail"]}
    assert locs == {("query", "date_from"), ("query", "user_id")}


def test_list_query_count_does_not_grow_with_page_size(client_for, auditor, trail):
    client = client_for(auditor)
    counts = []
    for size in (2, 7):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/audit/?page_size={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_detail(client_for, auditor, trail):
    response = client_for(auditor).get(f"/api/audit/{trail[2].pk}")
    assert response.status_code == 200 and response.data["summary"] == "Approved SOP-001"
    assert client_for(auditor).get("/api/audit/999999").status_code == 404


# --- verify ------------------------------------------------------------------------------------------


def test_verify_endpoint(client_for, auditor, admin_user, trail):
    response = client_for(auditor).get("/api/audit/verify")
    assert response.status_code == 200
    assert response.data["valid"] is True and response.data["events"] == 7 and "checked_at" in response.data
    with immutability.suspended(connection):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET actor_username = 'someone_else' WHERE id = %s", [trail[3].pk])
    response = client_for(admin_user).get("/api/audit/verify/")
    assert response.data["valid"] is False
    assert response.data["first_broken_event"] == trail[3].pk
    assert response.data["first_broken_sequence"] == trail[3].sequence
    assert response.data["events"] == 3


def test_verify_needs_audit_verify(client_for, make_user, trail):
    from accounts.services import set_permission_override

    reader = make_user("User", username="reader")
    admin = make_user("Admin", username="root2")
    set_permission_override(actor=admin, user=reader, codename="audit.view", effect="grant", reason="inspection")
    assert client_for(reader).get("/api/audit/").status_code == 200
    assert client_for(reader).get("/api/audit/verify").status_code == 403


# --- export --------------------------------------------------------------------------------------------


def _csv_parts(response) -> tuple[list[dict], dict]:
    """The event rows, and the signed statement of the chain head that closes the file."""
    body = b"".join(response.streaming_content).decode("utf-8")
    events, statement = body.split("\r\n\r\n")
    (statement_row,) = csv.DictReader(io.StringIO(statement))
    return list(csv.DictReader(io.StringIO(events))), {k.removeprefix("checkpoint_"): v for k, v in statement_row.items()}


def _csv(response) -> list[dict]:
    return _csv_parts(response)[0]


@pytest.mark.requirement("21CFR11.10(b)", "ANNEX11.9", "QMS-AUDIT-EXPORT")
def test_csv_export_is_streamed_with_every_event_and_is_itself_audited(client_for, auditor, trail):
    response = client_for(auditor).get("/api/audit/export?format=csv", HTTP_X_REQUEST_ID="exp-1")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="audit-trail-' in response["Content-Disposition"]
    rows, statement = _csv_parts(response)
    assert [int(r["id"]) for r in rows] == [e.pk for e in trail]  # oldest first, not the export event itself
    # The file ends with the chain head when the export started, signed with the audit key.
    assert (int(statement["sequence"]), statement["head_hash"]) == (trail[-1].sequence, trail[-1].hash)
    assert checkpoints.statement_valid({**statement, "sequence": int(statement["sequence"])})
    assert response["X-Audit-Chain-Sequence"] == str(trail[-1].sequence)
    first = rows[0]
    assert first["username"] == "qa1" and first["summary"] == "Created SOP-001" and first["hash"] == trail[0].hash
    assert first["timestamp"] == "2025-03-01T09:00:00+00:00"
    assert rows[1]["old_values"] == '{"owner":"a"}' and rows[1]["reason"] == "periodic review"
    assert rows[4]["summary"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    export = AuditEvent.objects.get(action="export")
    assert export.actor_id == auditor.pk and export.request_id == "exp-1"
    assert export.new_values == {"format": "csv", "filters": {}, "events": 7}
    assert services.verify_chain().valid


def test_csv_export_applies_the_list_filters(client_for, auditor, qa_user, trail):
    response = client_for(auditor).get(f"/api/audit/export?format=csv&action=update&user_id={qa_user.pk}")
    assert [int(r["id"]) for r in _csv(response)] == [trail[1].pk, trail[4].pk]
    export = AuditEvent.objects.get(action="export")
    assert export.new_values["filters"] == {"action": "update", "user_id": qa_user.pk}
    assert export.new_values["events"] == 2


@pytest.mark.requirement("21CFR11.10(b)", "ANNEX11.8")
def test_pdf_export_opens_and_lists_the_events(client_for, auditor, trail):
    response = client_for(auditor).get("/api/audit/export?format=pdf&resource_type=document")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Audit trail export" in text
    assert "resource_type = document" in text
    assert "Avery Auditor (auditor1)" in text
    assert "Generated:" in text and "UTC" in text
    for summary in ("Created SOP-001", "Renamed SOP-001", "Approved SOP-001", "SOP-002 became effective"):
        assert summary in text
    assert "Opened CAPA-5" not in text
    assert f"Page 1 of {len(reader.pages)}" in text
    assert reader.metadata.title == "Audit trail export"
    assert AuditEvent.objects.get(action="export").new_values["format"] == "pdf"


@pytest.mark.requirement("ANNEX11.8")
def test_pdf_export_numbers_every_page(client_for, auditor, qa_manager):
    for i in range(150):
        services.record(action="update", resource_type="document", resource_id=i, summary=f"Edit number {i}", actor=qa_manager)
    response = client_for(auditor).get("/api/audit/export?format=pdf")
    reader = PdfReader(io.BytesIO(response.content))
    pages = len(reader.pages)
    assert pages > 2
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {pages}" in page.extract_text()
    assert "Edit number 149" in reader.pages[-1].extract_text()


def test_pdf_export_is_refused_above_the_limit(client_for, auditor, trail, settings):
    settings.AUDIT_PDF_MAX_EVENTS = 5
    response = client_for(auditor).get("/api/audit/export?format=pdf")
    assert response.status_code == 422 and response.data["detail"][0]["loc"] == ["query", "format"]
    assert not AuditEvent.objects.filter(action="export").exists()


def test_export_rejects_unknown_formats_and_bad_filters(client_for, auditor, trail):
    client = client_for(auditor)
    response = client.get("/api/audit/export?format=xlsx")
    assert response.status_code == 422 and response.data["detail"][0]["loc"] == ["query", "format"]
    response = client.get("/api/audit/export?format=csv&date_to=soon")
    assert response.status_code == 422 and response.data["detail"][0]["loc"] == ["query", "date_to"]


def test_export_needs_audit_export(client_for, make_user, basic_user, trail):
    from accounts.services import set_permission_override

    reader = make_user("User", username="reader")
    set_permission_override(
        actor=make_user("Admin", username="root3"), user=reader, codename="audit.view", effect="grant", reason="inspection"
    )
    assert client_for(reader).get("/api/audit/export?format=csv").status_code == 403
    assert client_for(basic_user).get("/api/audit/export?format=csv").status_code == 403


@pytest.mark.parametrize(("role", "status"), [("Admin", 200), ("Auditor", 200), ("QA Manager", 403), ("QA", 403), ("User", 403)])
def test_chain_verification_is_for_admins_and_auditors(client_for, make_user, role, status):
    """Issue 3: GET /api/audit/verify (Admin, Auditor); QA Managers read the trail but do not verify it."""
    response = client_for(make_user(role)).get("/api/audit/verify")
    assert response.status_code == status
    if status == 403:
        assert response.json()["error_code"] == "PERMISSION_DENIED"


@pytest.mark.requirement("21CFR11.50")
def test_a_single_record_pdf_prints_its_signature_manifestations(client_for, auditor, admin_user, qa_manager):
    from accounts import services as account_services
    from accounts.tests.factories import DEFAULT_PASSWORD
    from audit import signatures

    group = account_services.create_group(actor=admin_user, name="Filling line", description="Line 4")
    signatures.sign(
        signer=qa_manager, password=DEFAULT_PASSWORD, record=group, signature_type="review", intent="Membership reviewed for Q3"
    )

    response = client_for(auditor).get(f"/api/audit/export?format=pdf&resource_type=group&resource_id={group.pk}")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)

    assert "Electronic signatures" in text
    assert "Max Manager (qam1)" in text and "Meaning: Review - Membership reviewed for Q3" in text
    assert "UTC" in text and "Group Filling line created" in text

    wide = client_for(auditor).get("/api/audit/export?format=pdf&resource_type=group")
    wide_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(wide.content)).pages)
    assert "Electronic signatures" not in wide_text
