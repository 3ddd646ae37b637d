"""Every free-text field of a deviation, its links, attachments, configuration and report answers has
a limit (deviations/limits.py): longer input is a 422 naming the field and the limit, from the API
and from the services called directly (so the admin and commands are held to it too), never a
database error, a silently cut text or one problem per key of an oversized body."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deviations import limits, services
from deviations.models import Area, Deviation, FormTemplate
from qms.errors import InvalidInputs

from .factories import DeviationFactory, report_answers

pytestmark = pytest.mark.django_db

URL = "/api/deviations/"


def over(limit: int) -> str:
    return "x" * (limit + 1)


def locs(exc) -> list:
    return [loc for loc, _, _ in exc.problems]


@pytest.mark.requirement("QMS-DEVIATIONS")
def test_every_text_of_an_update_is_held_to_its_limit_at_once(client_for, qa_user):
    deviation = DeviationFactory(state="under_investigation")
    body = {name: over(limit) for name, limit in limits.DEVIATION_TEXTS.items()}
    response = client_for(qa_user).put(
        f"{URL}{deviation.pk}", {**body, "reason": "Investigation notes", "row_version": deviation.row_version}, format="json"
    )
    assert response.status_code == 422
    assert {tuple(item["loc"]) for item in response.json()["detail"]} == {("body", name) for name in limits.DEVIATION_TEXTS}

    # The service refuses for itself (the admin, a command): every field located, nothing saved.
    with pytest.raises(InvalidInputs) as refused:
        services.update_deviation(
            actor=qa_user, deviation=deviation, changes=body, reason="Investigation notes", row_version=deviation.row_version
        )
    assert sorted(locs(refused.value)) == sorted([name] for name in limits.DEVIATION_TEXTS)
    assert all(t == "value_error" and "At most" in msg for _, msg, t in refused.value.problems)
    assert Deviation.objects.get(pk=deviation.pk).row_version == deviation.row_version


def test_reasons_are_held_to_their_limit(qa_user):
    deviation = DeviationFactory(state="under_investigation")
    other = DeviationFactory()
    with pytest.raises(InvalidInputs) as refused:
        services.update_deviation(
            actor=qa_user,
            deviation=deviation,
            changes={"title": "Clearer title"},
            reason=over(limits.REASON),
            row_version=deviation.row_version,
        )
    assert locs(refused.value) == [["reason"]]
    with pytest.raises(InvalidInputs) as refused:
        services.link_record(
            actor=qa_user, deviation=deviation, target_type="deviation", target=other.pk, reason=over(limits.REASON)
        )
    assert locs(refused.value) == [["reason"]]
    with pytest.raises(InvalidInputs) as refused:
        services.link_record(
            actor=qa_user,
            deviation=deviation,
            target_type="deviation",
            target=over(limits.LINK_TARGET),
            reason="Same filling line",
        )
    assert locs(refused.value) == [["target"]]


def test_attachment_and_configuration_texts_are_held_to_their_limits(qa_user, qa_manager):
    deviation = DeviationFactory(state="under_investigation")
    with pytest.raises(InvalidInputs) as refused:
        services.add_attachments(
            actor=qa_user,
            deviation=deviation,
            uploads=[SimpleUploadedFile("log.txt", b"Line log\n")],
            description=over(limits.DESCRIPTION),
        )
    assert locs(refused.value) == [["description"]]
    assert not deviation.attachments.exists()

    area = Area.objects.first()
    with pytest.raises(InvalidInputs) as refused:
        services.save_area(
            actor=qa_manager, area=area, data={"description": over(limits.DESCRIPTION)}, reason="Better description"
        )
    assert locs(refused.value) == [["description"]]
    with pytest.raises(InvalidInputs) as refused:
        services.save_area(actor=qa_manager, area=None, data={"name": over(limits.NAME)})
    assert locs(refused.value) == [["name"]]


def test_the_severity_suggestion_shown_is_kept_whole_or_refused(client_for, basic_user):
    suggestion = {"severity": "High", "confidence": 0.8, "rationale": over(limits.REASON), "method": "llm"}
    response = client_for(basic_user).post(URL, {"form_data": report_answers(), "severity_suggestion": suggestion}, format="json")
    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "severity_suggestion", "rationale"]]

    with pytest.raises(InvalidInputs) as refused:
        services.report_deviation(
            actor=basic_user,
            form_data=report_answers(),
            severity_suggestion={**suggestion, "rationale": "Contamination", "method": over(limits.SUGGESTION_METHOD)},
        )
    assert locs(refused.value) == [["severity_suggestion", "method"]]
    assert not Deviation.objects.exists()


def test_answers_are_held_to_their_field_limits(client_for, basic_user):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    answers = report_answers(title=over(200), description=over(limits.DEFAULT_ANSWER_LENGTH["textarea"]))
    answers["event"]["procedure"] = [over(limits.LINK_TARGET), 10**30]
    answers["product"]["quantity_affected"] = "1" * (limits.NUMBER_TEXT + 1)
    response = client_for(basic_user).post(f"{URL}form-templates/{standard.pk}/validate", {"form_data": answers}, format="json")
    assert response.status_code == 422, response.json()
    detail = {tuple(item["loc"][2:]): item for item in response.json()["detail"]}
    assert set(detail) == {
        ("event", "title"),
        ("event", "description"),
        ("event", "procedure"),
        ("product", "quantity_affected"),
    }
    assert detail[("event", "title")]["type"] == "value_error.any_str.max_length"
    assert "At most 200 characters" in detail[("event", "title")]["msg"]


def test_an_oversized_body_is_one_problem_not_one_per_key(client_for, basic_user):
    standard = FormTemplate.objects.get(name="Standard deviation report")
    sections = {f"section_{n}": {} for n in range(limits.MAX_SECTIONS + 1)}
    response = client_for(basic_user).post(f"{URL}form-templates/{standard.pk}/validate", {"form_data": sections}, format="json")
    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "form_data"]]

    answers = {"event": {f"field_{n}": "x" for n in range(limits.MAX_FIELDS + 1)}}
    response = client_for(basic_user).post(f"{URL}form-templates/{standard.pk}/validate", {"form_data": answers}, format="json")
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "form_data"]]
