"""Direct electronic signatures on a deviation (POST /api/signatures/): the meanings its state allows
(authorship while reported and investigated, responsibility of the investigation, review in QA
review, none once closed or cancelled, never approval) and only from the people deviations/signing.py
names (403 SIGNER_NOT_ELIGIBLE otherwise)."""

import pytest

from audit.models import Signature
from conftest import PASSWORD
from deviations import services
from deviations.models import Deviation
from workflows import records_services

from .factories import INVESTIGATION, DeviationFactory

pytestmark = pytest.mark.django_db

URL = "/api/signatures/"


def sign(client, deviation, meaning: str, password: str = PASSWORD):
    body = {
        "resource_type": "deviation",
        "resource_id": deviation.pk,
        "signature_type": meaning,
        "intent": f"I sign {deviation.number} ({meaning})",
        "password": password,
    }
    return client.post(URL, body, format="json")


@pytest.mark.requirement("21CFR11.10(g)", "21CFR11.200(a)")
def test_the_reporter_signs_the_report_as_its_author(client_for, make_user, qa_user, basic_user):
    reporter = make_user("QA", username="qa-reporter")
    deviation = DeviationFactory(reporter=reporter)

    assert sign(client_for(reporter), deviation, "authorship", password="wrong").status_code == 401
    signed = sign(client_for(reporter), deviation, "authorship")
    assert signed.status_code == 201, signed.json()
    assert Signature.objects.get(resource_type="deviation", resource_id=deviation.pk).signer_id == reporter.pk

    someone_else = sign(client_for(qa_user), deviation, "authorship")
    assert (someone_else.status_code, someone_else.json()["error_code"]) == (403, "SIGNER_NOT_ELIGIBLE")
    not_now = sign(client_for(qa_user), deviation, "review")
    assert (not_now.status_code, not_now.json()["error_code"]) == (409, "SIGNATURE_MEANING_NOT_ALLOWED")
    assert not_now.json()["allowed_meanings"] == ["authorship"]
    # Signing a record needs its type's view permission: reporters who see only their own reports
    # (the User role) do not sign deviations directly.
    own = DeviationFactory(reporter=basic_user)
    assert sign(client_for(basic_user), own, "authorship").status_code == 403


def test_the_owner_signs_for_the_investigation(client_for, make_user):
    owner, colleague = make_user("QA", username="owner"), make_user("QA", username="colleague")
    deviation = DeviationFactory(state="under_investigation", investigator=owner)
    deviation.owner = owner
    deviation.save(update_fields=["owner"])

    assert sign(client_for(owner), deviation, "responsibility").status_code == 201
    assert sign(client_for(owner), deviation, "authorship").status_code == 201
    refused = sign(client_for(colleague), deviation, "responsibility")
    assert (refused.status_code, refused.json()["error_code"]) == (403, "SIGNER_NOT_ELIGIBLE")
    assert "owner" in refused.json()["detail"]


@pytest.mark.requirement("21CFR11.10(g)", "21CFR11.50")
def test_a_review_in_qa_review_is_a_second_pair_of_eyes(client_for, make_user):
    owner, reviewer = make_user("QA", username="owner"), make_user("QA", username="reviewer")
    reporter = make_user("QA", username="qa-reporter")
    deviation = DeviationFactory(reporter=reporter, state="under_investigation", investigator=owner)
    Deviation.objects.filter(pk=deviation.pk).update(owner=owner)
    deviation = Deviation.objects.get(pk=deviation.pk)
    services.update_deviation(
        actor=owner, deviation=deviation, changes=dict(INVESTIGATION), reason="Investigation done", row_version=2
    )
    records_services.transition_record(actor=owner, record=deviation, name="submit_for_review")

    assert sign(client_for(reviewer), deviation, "review").status_code == 201
    for who in (owner, reporter):
        refused = sign(client_for(who), deviation, "review")
        assert (refused.status_code, refused.json()["error_code"]) == (403, "SIGNER_NOT_ELIGIBLE"), who.username
    approval = sign(client_for(reviewer), deviation, "approval")
    assert (approval.status_code, approval.json()["error_code"]) == (409, "SIGNATURE_MEANING_NOT_ALLOWED")


def test_closed_and_cancelled_deviations_take_no_direct_signature(client_for, qa_manager):
    closed = DeviationFactory(state="closed", closer=qa_manager)
    cancelled = DeviationFactory()
    records_services.transition_record(
        actor=qa_manager, record=cancelled, name="cancel", comment="Reported twice", password=PASSWORD
    )
    for deviation in (closed, cancelled):
        for meaning in ("review", "responsibility", "authorship"):
            refused = sign(client_for(qa_manager), deviation, meaning)
            assert refused.status_code == 409 and refused.json()["allowed_meanings"] == [], (deviation.status, meaning)
