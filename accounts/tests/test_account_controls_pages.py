"""Account controls on the pages: the forced password change, the expiry notice, the idle timeout
of page sessions (and a signature after it asks for the full sign-in again)."""

import datetime
import time

import pytest
from django.test import Client
from django.utils import timezone

from accounts.audit_actions import AccountAction
from accounts.middleware import LAST_ACTIVITY
from audit.models import AuditEvent, Signature
from conftest import PASSWORD
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return client


def idle_for(client: Client, seconds: float) -> None:
    session = client.session
    session[LAST_ACTIVITY] = time.time() - seconds
    session.save()


@pytest.mark.requirement("21CFR11.300(b)", "ANNEX11.12")
def test_a_user_who_must_change_the_password_is_sent_to_the_change_form_first(make_user):
    make_user("QA", username="forced", password_change_required=True)
    client = signed_in("forced")

    for path in ("/", "/documents/", "/profile/", "/admin-users/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/password/change/?next="), path
    page = client.get("/password/change/?next=/documents/")
    assert b"set by someone else" in page.content

    changed = client.post(
        "/password/change/",
        {
            "current_password": PASSWORD,
            "new_password": "Brand-New-Pass-7",
            "confirm_password": "Brand-New-Pass-7",
            "next": "/documents/",
        },
    )
    assert changed.status_code == 302 and changed["Location"] == "/documents/"
    assert client.get("/documents/").status_code == 200  # still signed in, now free to work


def test_the_change_form_refuses_a_recent_password_and_sign_out_stays_possible(make_user):
    make_user("QA", username="forced2", password_change_required=True)
    client = signed_in("forced2")

    same = client.post(
        "/password/change/", {"current_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD}
    )
    assert same.status_code == 200 and b"must differ" in same.content
    assert client.post("/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/")


@pytest.mark.requirement("21CFR11.300(b)")
def test_pages_announce_a_password_expiring_soon(make_user, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    settings.PASSWORD_EXPIRY_WARNING_DAYS = 14
    make_user("QA", username="soon", password_changed_at=timezone.now() - datetime.timedelta(days=85))
    make_user("QA", username="fresh")

    assert b"Your password expires in 4 days" in signed_in("soon").get("/").content
    assert b"password-notice" not in signed_in("fresh").get("/").content


@pytest.mark.requirement("21CFR11.10(d)", "ANNEX11.12")
def test_an_idle_page_session_ends_and_asks_for_the_full_sign_in(make_user, settings):
    settings.SESSION_IDLE_MINUTES = 15
    user = make_user("QA", username="idler")
    client = signed_in("idler")
    assert client.get("/").status_code == 200

    idle_for(client, 14 * 60)
    assert client.get("/").status_code == 200  # within the limit: the session lives on
    idle_for(client, 15 * 60 + 1)
    ended = client.get("/documents/")
    assert ended.status_code == 302 and ended["Location"].startswith("/login/?next=/documents/")
    assert client.get("/")["Location"].startswith("/login/")
    event = AuditEvent.objects.get(action=str(AccountAction.SESSION_TIMEOUT))
    assert event.resource_id == user.pk and event.new_values["limit_minutes"] == 15


def test_every_page_carries_the_idle_warning_timings(make_user, settings):
    settings.SESSION_IDLE_MINUTES = 10
    settings.SESSION_IDLE_WARNING_SECONDS = 90
    make_user("QA", username="timed")

    page = signed_in("timed").get("/").content.decode()

    assert 'data-idle-seconds="600"' in page and 'data-idle-warning-seconds="90"' in page
    assert 'data-testid="idle-warning"' in page


def test_the_keepalive_renews_the_session(make_user, settings):
    settings.SESSION_IDLE_MINUTES = 15
    make_user("QA", username="keeper")
    client = signed_in("keeper")
    idle_for(client, 14 * 60)

    assert client.post("/session/keepalive/").status_code == 204
    idle_for_more = client.session[LAST_ACTIVITY]
    assert time.time() - idle_for_more < 5
    assert Client().post("/session/keepalive/").status_code == 401


@pytest.mark.requirement("21CFR11.200(a)", "ANNEX11.12")
def test_signing_after_the_idle_timeout_asks_for_the_full_sign_in_and_signs_nothing(make_user, settings):
    settings.SESSION_IDLE_MINUTES = 15
    document = DocumentFactory(state="in_review")
    make_user("QA Manager", username="approver")
    client = signed_in("approver")
    client.get(f"/documents/{document.pk}/")
    before = Signature.objects.count()

    idle_for(client, 16 * 60)
    response = client.post(
        f"/documents/{document.pk}/approve/",
        {"signature_type": "approval", "intent": "I approve this procedure.", "password": PASSWORD},
    )

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert Signature.objects.count() == before
    htmx = signed_in("approver")
    idle_for(htmx, 16 * 60)
    response = htmx.post(f"/documents/{document.pk}/approve/", {"password": PASSWORD}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/login/")
    assert Signature.objects.count() == before
