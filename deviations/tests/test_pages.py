"""The form editor and preview pages (server-rendered, no JavaScript needed) and the picker search."""

import pytest
from django.test import Client
from django.urls import reverse

from deviations import services
from deviations.models import FormStatus, FormTemplate

from .conftest import pdf_upload, png_upload, standard_report_answers
from .factories import definition, field, section

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor(template) -> str:
    return reverse("deviations:form-template-editor", args=[template.pk])


def edit(client, template, op, **data):
    return client.post(
        reverse("deviations:form-template-edit", args=[template.pk]), {"op": op, "row_version": template.row_version, **data}
    )


def new_field(**values) -> dict:
    return {f"new-field-{k}": v for k, v in {"type": "text", **values}.items()}


@pytest.fixture
def draft(qa_manager):
    return services.create_form_template(
        actor=qa_manager,
        definition=definition(section("event", field("title", required=True), field("area")), section("product", field("batch"))),
    )


def test_the_form_list_is_in_the_navigation_of_form_managers_only(qa_manager, basic_user):
    page = browser(qa_manager).get("/").content.decode()
    assert reverse("deviations:form-template-list") in page
    assert reverse("deviations:form-template-list") not in browser(basic_user).get("/").content.decode()
    listing = browser(qa_manager).get(reverse("deviations:form-template-list")).content.decode()
    assert "Standard deviation report" in listing and "Active" in listing


def test_reporters_cannot_open_the_editor(basic_user, draft):
    client = browser(basic_user)
    assert client.get(reverse("deviations:form-template-list")).status_code == 403
    assert client.get(editor(draft)).status_code == 403
    assert edit(client, draft, "remove_field", field="title").status_code == 403
    assert FormTemplate.objects.get(pk=draft.pk).field("title") is not None


def test_a_manager_creates_a_form_and_builds_it_step_by_step(qa_manager):
    client = browser(qa_manager)
    response = client.post(reverse("deviations:form-template-list"), {"name": "Lab deviation", "description": "OOS and OOT"})
    template = FormTemplate.objects.get(name="Lab deviation")
    assert response.status_code == 302 and response["Location"] == editor(template)
    assert template.status == FormStatus.DRAFT and template.sections == []

    edit(client, template, "add_section", **{"new-section-key": "result", "new-section-title": "Result"})
    template.refresh_from_db()
    edit(
        client,
        template,
        "add_field",
        section="result",
        **new_field(key="value", label="Measured value", type="number", min="0", required="on"),
    )
    template.refresh_from_db()
    response = edit(
        client,
        template,
        "add_field",
        section="result",
        **new_field(key="unit", label="Unit", type="select", options="mg\nkg | Kilogram"),
    )
    assert response.status_code == 302 and response["Location"].endswith("#field-unit")
    template.refresh_from_db()
    assert template.version == 1  # a draft nobody uses is changed in place
    assert template.field("value") == {
        **template.field("value"),
        "type": "number",
        "min": 0,
        "required": True,
    }
    assert template.field("unit")["options"] == [{"value": "mg", "label": "mg"}, {"value": "kg", "label": "Kilogram"}]

    edit(client, template, "move_field", field="unit", direction="up")
    template.refresh_from_db()
    assert [f["key"] for f in template.sections[0]["fields"]] == ["unit", "value"]

    page = client.get(editor(template)).content.decode()
    assert "Measured value" in page and "Kilogram" in page


def test_field_problems_are_shown_next_to_the_inputs(qa_manager, draft):
    client = browser(qa_manager)
    response = edit(client, draft, "add_field", section="event", **new_field(key="severity", label="Severity", type="select"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "A select needs at least one option." in page
    assert 'value="severity"' in page  # what was typed is kept
    duplicate = edit(client, draft, "add_field", section="event", **new_field(key="title", label="Title again"))
    assert "The field key &#x27;title&#x27; is used twice; keys are unique in a form." in duplicate.content.decode()
    draft.refresh_from_db()
    assert [f["key"] for _, f in draft.fields()] == ["title", "area", "batch"]


def test_changing_a_field_in_place_and_removing_one(qa_manager, draft):
    client = browser(qa_manager)
    prefix = "f-area"
    response = edit(
        client,
        draft,
        "update_field",
        field="area",
        **{f"{prefix}-key": "area", f"{prefix}-label": "Room", f"{prefix}-type": "text", f"{prefix}-max_length": "50"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.field("area")["label"] == "Room" and draft.field("area")["max_length"] == 50
    edit(client, draft, "remove_field", field="area")
    draft.refresh_from_db()
    assert draft.field("area") is None


def test_a_stale_page_does_not_overwrite_a_newer_change(qa_manager, draft):
    client = browser(qa_manager)
    stale_row_version = draft.row_version
    edit(client, draft, "remove_field", field="area")
    response = client.post(
        reverse("deviations:form-template-edit", args=[draft.pk]),
        {"op": "remove_field", "field": "batch", "row_version": stale_row_version},
        follow=True,
    )
    assert "changed by someone else" in response.content.decode()
    draft.refresh_from_db()
    assert draft.field("batch") is not None


def test_editing_the_active_form_makes_a_draft_and_publishing_it_swaps_the_reporting_form(qa_manager):
    client = browser(qa_manager)
    standard = FormTemplate.objects.get(name="Standard deviation report")
    page = client.get(editor(standard)).content.decode()
    assert "Your first change makes draft v2" in page

    response = edit(client, standard, "add_field", section="product", **new_field(key="equipment", label="Equipment ID"))
    draft = FormTemplate.objects.get(family=standard.family, version=2)
    assert response["Location"].startswith(editor(draft))
    standard.refresh_from_db()
    assert standard.status == FormStatus.ACTIVE and standard.field("equipment") is None
    assert draft.field("equipment")["label"] == "Equipment ID"

    no_reason = client.post(reverse("deviations:form-template-publish", args=[draft.pk]), {"reason": ""})
    assert no_reason.status_code == 422 and FormTemplate.objects.get(pk=draft.pk).status == FormStatus.DRAFT
    client.post(reverse("deviations:form-template-publish", args=[draft.pk]), {"reason": "Equipment is needed for trending"})
    draft.refresh_from_db(), standard.refresh_from_db()
    assert (draft.status, standard.status) == (FormStatus.ACTIVE, FormStatus.RETIRED)
    old_page = client.get(editor(standard)).content.decode()
    assert "This version is kept as it was" in old_page and "Publish v1" in old_page


def test_the_preview_shows_every_problem_next_to_its_field(qa_manager):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    client = browser(qa_manager)
    url = reverse("deviations:form-template-preview", args=[standard.pk])
    page = client.get(url).content.decode()
    assert 'name="event.title"' in page and 'data-suggest="severity"' in page
    assert 'name="attachments.photos"' in page and 'accept=".png,.jpg,.jpeg"' in page

    response = client.post(
        url, {"event.title": "Torn seal", "classification.severity": "Catastrophic", "product.quantity_affected": "-3"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-event.description">This field is required.' in html
    assert 'data-testid="error-classification.severity">Choose one of: Low, Medium, High, Critical.' in html
    assert 'data-testid="error-product.quantity_affected">Enter a number of at least 0.' in html
    assert 'data-testid="error-event.title"' not in html
    assert 'value="Torn seal"' in html  # answers are kept


def test_the_preview_accepts_good_answers_and_checks_uploads(qa_manager, effective_document):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    client = browser(qa_manager)
    url = reverse("deviations:form-template-preview", args=[standard.pk])
    answers = {
        "event.title": "Torn seal",
        "event.description": "Seal torn at station 4",
        "event.occurred_at": "2025-03-01",
        "event.area": "Packaging",
        "event.procedure": "SOP-0001",
        "classification.category": "Process",
        "classification.severity": "High",
        "immediate_action.immediate_action": "Line stopped",
    }
    good = client.post(url, {**answers, "attachments.photos": [png_upload()]})
    assert good.status_code == 200 and "All answers are valid." in good.content.decode()

    bad = client.post(url, {**answers, "attachments.photos": [pdf_upload()]})
    assert bad.status_code == 422
    assert "Photos: &#x27;record.pdf&#x27; is not an image" in bad.content.decode()


def test_the_picker_search_lists_only_documents_the_user_may_view(
    basic_user, author, effective_document, draft_document, make_user, capa_module_absent
):
    url = reverse("deviations:picker-search", args=["document_picker"])
    seen_by_user = browser(basic_user).get(url, {"q": "", "target": "event.procedure"}).content.decode()
    assert "SOP-0001" in seen_by_user and draft_document.number not in seen_by_user
    assert 'data-picker-target="event.procedure"' in seen_by_user
    assert draft_document.number in browser(author).get(url, {"q": "gowning"}).content.decode()
    assert "No documents found for “nothing”." in browser(author).get(url, {"q": "nothing"}).content.decode()

    capa = browser(basic_user).get(reverse("deviations:picker-search", args=["capa_picker"]), {"q": "x"}).content.decode()
    assert "CAPAs are not available yet" in capa
    assert browser(make_user(None, username="norole")).get(url).status_code == 403
    assert browser(basic_user).get(reverse("deviations:picker-search", args=["colour_picker"])).status_code == 404


def test_kept_answers_are_shown_grouped_by_section(basic_user, effective_document):
    from django.template.loader import render_to_string

    from deviations.forms_engine import validate_answers
    from deviations.selectors import answers_for_display

    standard = FormTemplate.objects.get(name="Standard deviation report")
    answers = standard_report_answers(description="Line 1\nLine 2", procedure="SOP-0001")
    kept = validate_answers(version=standard, form_data=answers, files={}, user=basic_user).answers
    sections = answers_for_display(standard, kept)
    assert [s["title"] for s in sections][:2] == ["Event", "Classification"]
    assert sections[1]["fields"][1] == {"key": "severity", "label": "Severity", "type": "select", "value": "High"}

    html = render_to_string("deviations/includes/answers.html", {"answer_sections": sections})
    assert "Line 1<br>Line 2" in html
    assert f'<a href="{reverse("documents:detail", args=[effective_document.pk])}">SOP-0001</a>' in html
    assert "Yes" in html
