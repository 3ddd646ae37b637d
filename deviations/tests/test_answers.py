"""Answers checked against a form version: every bad field reported at once, typed values,
defaults, pickers limited to what the reporter may view, uploads through the document checks, and
files stored by the caller's transaction (removed again when it fails)."""

import datetime
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from deviations.forms_engine import FormAnswersInvalid, validate_answers
from documents import files
from documents.files import FileTooLarge, UnsupportedFileType

from .conftest import pdf_upload, png_upload, stored_files
from .factories import FormTemplateFactory, definition, field, section

pytestmark = pytest.mark.django_db


def report_form(**extra_fields):
    """A form with one field of each kind that needs no database."""
    return FormTemplateFactory(
        sections=definition(
            section(
                "event",
                field("title", required=True, max_length=40),
                field("description", "textarea", required=True),
                field("occurred_at", "date", required=True, max="today"),
                field("batch", regex=r"B\d{5}", regex_message="A batch number looks like B12345."),
            ),
            section(
                "classification",
                field("severity", "select", required=True, options=["Low", "Medium", "High", "Critical"], suggest="severity"),
                field("units", "number", min=0, max=10000),
                field("quarantined", "checkbox", default=True),
                field("area", default="Filling"),
            ),
            section(
                "links",
                field("procedure", "document_picker", multiple=True),
                field("capa", "capa_picker"),
            ),
            section("attachments", field("photos", "image", multiple=True), field("record", "file")),
        )["sections"],
    )


def good_answers() -> dict:
    return {
        "event": {"title": "Torn seal on line 2", "description": "Seal torn at station 4.", "occurred_at": "2025-03-01"},
        "classification": {"severity": "High", "units": "120"},
    }


def problems_of(exc) -> dict:
    return {tuple(loc): (msg, error_type) for loc, msg, error_type in exc.value.problems}


def test_three_bad_fields_are_reported_together(basic_user):
    form = report_form()
    answers = good_answers()
    answers["event"]["title"] = ""
    answers["event"]["occurred_at"] = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    answers["classification"]["severity"] = "Catastrophic"

    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=form, form_data=answers, files={}, user=basic_user)

    found = problems_of(exc)
    assert set(found) == {
        ("form_data", "event", "title"),
        ("form_data", "event", "occurred_at"),
        ("form_data", "classification", "severity"),
    }
    assert found[("form_data", "event", "title")] == ("This field is required.", "value_error.missing")
    assert found[("form_data", "event", "occurred_at")][0] == "The date cannot be in the future."
    assert found[("form_data", "classification", "severity")][0] == "Choose one of: Low, Medium, High, Critical."
    assert exc.value.error_code == "FORM_ANSWERS_INVALID" and exc.value.status_code == 422


def test_good_answers_are_typed_per_field_and_defaults_fill_absent_fields(basic_user):
    cleaned = validate_answers(version=report_form(), form_data=good_answers(), files={}, user=basic_user)

    assert cleaned.answers["event"]["title"] == {"type": "text", "value": "Torn seal on line 2"}
    assert cleaned.answers["event"]["occurred_at"] == {"type": "date", "value": "2025-03-01"}
    assert cleaned.answers["event"]["batch"] == {"type": "text", "value": None}
    assert cleaned.answers["classification"]["units"] == {"type": "number", "value": 120}
    assert cleaned.answers["classification"]["quarantined"] == {"type": "checkbox", "value": True}
    assert cleaned.answers["classification"]["area"] == {"type": "text", "value": "Filling"}
    assert cleaned.answers["links"] == {
        "procedure": {"type": "document_picker", "value": []},
        "capa": {"type": "capa_picker", "value": []},
    }
    assert cleaned.answers["attachments"]["photos"] == {"type": "image", "value": []}
    assert cleaned.value("severity") == "High"


def test_a_given_empty_value_is_not_replaced_by_the_default(basic_user):
    answers = good_answers()
    answers["classification"].update(quarantined=False, area="")
    cleaned = validate_answers(version=report_form(), form_data=answers, files={}, user=basic_user)
    assert cleaned.value("quarantined") is False and cleaned.value("area") is None


@pytest.mark.parametrize(
    ("section_key", "key", "value", "message"),
    [
        ("event", "title", "x" * 41, "At most 40 characters (this has 41)."),
        ("event", "title", "two\nlines", "Remove control characters and line breaks."),
        ("event", "title", 42, "Enter text."),
        ("event", "batch", "12345", "A batch number looks like B12345."),
        ("event", "occurred_at", "01/03/2025", "Enter a date as YYYY-MM-DD."),
        ("classification", "units", "-1", "Enter a number of at least 0."),
        ("classification", "units", "ten", "Enter a number."),
        ("classification", "units", True, "Enter a number."),
        ("classification", "units", "NaN", "Enter a finite number of at most 15 digits."),
        ("classification", "quarantined", "maybe", "Give true or false."),
        ("event", "description", "null\x00byte", "Remove control characters."),
    ],
)
def test_each_rule_has_its_message(basic_user, section_key, key, value, message):
    answers = good_answers()
    answers[section_key][key] = value
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=report_form(), form_data=answers, files={}, user=basic_user)
    assert problems_of(exc)[("form_data", section_key, key)][0] == message


def test_unknown_sections_and_fields_are_refused(basic_user):
    answers = good_answers()
    answers["event"]["colour"] = "red"
    answers["nonsense"] = {}
    answers["attachments"] = {"photos": "photo.png"}
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=report_form(), form_data=answers, files={"event.title": [png_upload()]}, user=basic_user)
    found = problems_of(exc)
    assert found[("form_data", "event", "colour")][0] == "Section 'event' has no field 'colour'."
    assert found[("form_data", "nonsense")][0] == "The form has no section 'nonsense'."
    assert found[("form_data", "attachments", "photos")][0] == "Upload the files of this field as parts named attachments.photos."
    assert found[("form_data", "event", "title")][0] == "No image or file field 'event.title'."


def test_answers_must_be_an_object(basic_user):
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=report_form(), form_data=["title"], files={}, user=basic_user)
    assert problems_of(exc) == {("form_data",): ("Send the answers as an object by section and field key.", "type_error.dict")}


# --- pickers ------------------------------------------------------------------------------------------


def test_document_picker_accepts_visible_documents_by_id_or_number(basic_user, effective_document):
    answers = good_answers()
    answers["links"] = {"procedure": [effective_document.pk, "sop-0001"]}
    cleaned = validate_answers(version=report_form(), form_data=answers, files={}, user=basic_user)
    assert cleaned.answers["links"]["procedure"]["value"] == [
        {
            "type": "document",
            "id": effective_document.pk,
            "number": "SOP-0001",
            "title": "Cleaning of the filling line",
            "version": "1.0",
        }
    ]
    assert cleaned.references("document") == cleaned.answers["links"]["procedure"]["value"]


def test_pickers_refuse_documents_the_user_may_not_view(basic_user, author, draft_document, effective_document):
    """A User sees effective documents only: a draft is refused as if it did not exist."""
    answers = good_answers()
    answers["links"] = {"procedure": f"{effective_document.number}, {draft_document.number}, 999999"}
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=report_form(), form_data=answers, files={}, user=basic_user)
    assert problems_of(exc)[("form_data", "links", "procedure")] == (
        f"No document {draft_document.number}, 999999 that you may view.",
        "value_error.reference",
    )

    # The author of the draft may link it (authors see drafts), referenced with its current version.
    cleaned = validate_answers(
        version=report_form(), form_data={**answers, "links": {"procedure": draft_document.pk}}, files={}, user=author
    )
    assert cleaned.value("procedure") == [
        {
            "type": "document",
            "id": draft_document.pk,
            "number": draft_document.number,
            "title": draft_document.title,
            "version": "1.0",
        }
    ]


def test_a_reporter_without_document_access_can_link_no_document(make_user, effective_document):
    reporter = make_user(None, username="reporter")
    reporter_role_less = reporter  # no role: no documents.view
    answers = good_answers()
    answers["links"] = {"procedure": [effective_document.pk]}
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=report_form(), form_data=answers, files={}, user=reporter_role_less)
    assert ("form_data", "links", "procedure") in problems_of(exc)


def test_a_single_value_picker_takes_one_record(basic_user, effective_document):
    form = report_form()
    answers = good_answers()
    answers["links"] = {"capa": [1, 2]}
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=form, form_data=answers, files={}, user=basic_user)
    assert problems_of(exc)[("form_data", "links", "capa")][0] == "Choose one record only."


def test_capa_picker_says_capas_are_not_available_yet(basic_user, capa_module_absent):
    answers = good_answers()
    answers["links"] = {"capa": "CAPA-2025-0001"}
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(version=report_form(), form_data=answers, files={}, user=basic_user)
    message, error_type = problems_of(exc)[("form_data", "links", "capa")]
    assert message.startswith("CAPAs are not available yet") and error_type == "value_error.unavailable"


# --- uploads ------------------------------------------------------------------------------------------


def test_uploads_are_checked_and_described_without_being_stored(basic_user, media_root):
    uploads = {"attachments.photos": [png_upload("line 2.png"), png_upload("seal.png")], "attachments.record": [pdf_upload()]}
    cleaned = validate_answers(version=report_form(), form_data=good_answers(), files=uploads, user=basic_user)
    photos = cleaned.answers["attachments"]["photos"]["value"]
    assert [p["name"] for p in photos] == ["line 2.png", "seal.png"]
    assert photos[0]["mime_type"] == "image/png" and photos[0]["size"] > 0 and len(photos[0]["sha256"]) == 64
    assert photos[0]["storage_name"] is None
    assert cleaned.answers["attachments"]["record"]["value"][0]["mime_type"] == "application/pdf"
    assert stored_files(media_root) == []


def test_an_oversized_upload_is_413_naming_the_field(basic_user, settings):
    settings.MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    with pytest.raises(FileTooLarge) as exc:
        validate_answers(version=report_form(), form_data=good_answers(), files={"attachments.record": [big]}, user=basic_user)
    assert exc.value.status_code == 413 and exc.value.error_code == "FILE_TOO_LARGE"
    assert exc.value.detail == "Record: The file is larger than the 1 MB limit."
    assert exc.value.extra["loc"] == ["form_data", "attachments", "record"]


def test_content_that_is_not_what_its_name_says_is_415(basic_user):
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf at all")
    with pytest.raises(UnsupportedFileType) as exc:
        validate_answers(version=report_form(), form_data=good_answers(), files={"attachments.record": [fake]}, user=basic_user)
    assert exc.value.status_code == 415 and exc.value.extra["loc"] == ["form_data", "attachments", "record"]


def test_an_image_field_takes_images_only(basic_user):
    with pytest.raises(UnsupportedFileType) as exc:
        validate_answers(
            version=report_form(), form_data=good_answers(), files={"attachments.photos": [pdf_upload()]}, user=basic_user
        )
    assert exc.value.status_code == 415
    assert exc.value.detail == "Photos: 'record.pdf' is not an image: this field accepts PNG and JPEG images."


def test_too_many_files_and_required_uploads_are_answer_problems(basic_user):
    form = FormTemplateFactory(
        sections=definition(section("attachments", field("photo", "image", required=True), field("record", "file")))["sections"]
    )
    with pytest.raises(FormAnswersInvalid) as exc:
        validate_answers(
            version=form, form_data={}, files={"attachments.record": [pdf_upload(), pdf_upload("b.pdf")]}, user=basic_user
        )
    assert problems_of(exc) == {
        ("form_data", "attachments", "photo"): ("Attach an image.", "value_error.missing"),
        ("form_data", "attachments", "record"): ("Attach at most 1 file here.", "value_error.list.max_items"),
    }


def test_files_are_stored_by_the_callers_transaction_and_removed_when_it_fails(basic_user, media_root):
    cleaned = validate_answers(
        version=report_form(), form_data=good_answers(), files={"attachments.photos": [png_upload()]}, user=basic_user
    )

    with pytest.raises(ZeroDivisionError):
        with files.removing_on_failure() as written, transaction.atomic():
            cleaned.store_files(folder="deviations/1", written=written)
            assert stored_files(media_root) == ["deviations/1/attachments-photos/photo.png"]
            raise ZeroDivisionError("the record fails to save after the files were written")
    assert stored_files(media_root) == []

    with files.removing_on_failure() as written, transaction.atomic():
        kept = cleaned.store_files(folder="deviations/1", written=written)
    stored = kept["attachments"]["photos"]["value"][0]["storage_name"]
    assert stored == "deviations/1/attachments-photos/photo.png"
    assert os.path.exists(media_root / stored)
    assert cleaned.answers["attachments"]["photos"]["value"][0]["storage_name"] is None  # the check result is unchanged


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_files_are_never_stored_outside_a_transaction(basic_user, media_root):
    cleaned = validate_answers(
        version=report_form(), form_data=good_answers(), files={"attachments.photos": [png_upload()]}, user=basic_user
    )
    with pytest.raises(RuntimeError, match="inside the transaction"):
        cleaned.store_files(folder="deviations/1", written=[])
    assert stored_files(media_root) == []
