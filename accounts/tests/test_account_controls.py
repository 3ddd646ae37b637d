"""Account controls (21 CFR 11.300, EU GMP Annex 11 §12) through the API and the services: password
change at first use, ageing, history, inactive accounts, usernames never reused, alerts of
repeated failed attempts."""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import alerts, services
from accounts.audit_actions import AccountAction
from accounts.models import User, UserDeletionRefused
from audit.models import AuditEvent
from conftest import PASSWORD
from qms.celery import app

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Pass-7"


def sign_in(username: str, password: str = PASSWORD) -> APIClient:
    response = APIClient().post("/api/auth/token", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    return client


def change_password(client: APIClient, current: str, new: str):
    return client.post("/api/auth/change-password", {"current_password": current, "new_password": new}, format="json")


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=str(action)).order_by("sequence"))


# --- password change at first use ---------------------------------------------------------------------


@pytest.mark.requirement("21CFR11.300(b)", "ANNEX11.12")
def test_a_user_created_by_an_administrator_must_change_the_password_before_anything_else(client_for, admin_user):
    created = client_for(admin_user).post(
        "/api/users/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "full_name": "Nina New",
            "password": "Admin-Chosen-1",
            "role": "QA",
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["password_change_required"] is True

    newbie = sign_in("newbie", "Admin-Chosen-1")
    refused = newbie.get("/api/documents/")
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PASSWORD_CHANGE_REQUIRED"
    assert "set by someone else" in refused.json()["detail"]
    me = newbie.get("/api/auth/me").json()
    assert me["password_change_required"] is True and me["password_change_reason"] == "first_use"

    changed = change_password(newbie, "Admin-Chosen-1", NEW_PASSWORD)
    assert changed.status_code == 200
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['access_token']}")
    assert fresh.get("/api/documents/").status_code == 200
    assert fresh.get("/api/auth/me").json()["password_change_required"] is False
    [change] = events(AccountAction.PASSWORD_CHANGE)
    assert change.old_values == {"password_change_required": "first_use"}


def test_while_a_change_is_due_only_change_password_me_and_logout_answer(make_user):
    make_user("Admin", username="forced", password_change_required=True)
    client = sign_in("forced")

    assert client.get("/api/users/").json()["error_code"] == "PASSWORD_CHANGE_REQUIRED"
    assert client.post("/api/groups/", {"name": "G"}, format="json").json()["error_code"] == "PASSWORD_CHANGE_REQUIRED"
    assert client.get("/api/auth/me").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204


def test_self_registered_users_keep_the_password_they_chose(api_client, settings):
    settings.REGISTRATION_ENABLED = True
    response = api_client.post(
        "/api/auth/register", {"username": "selfie", "email": "selfie@example.com", "password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 201

    assert sign_in("selfie", NEW_PASSWORD).get("/api/documents/").status_code == 200


@pytest.mark.requirement("21CFR11.300(b)", "ANNEX11.12", "21CFR11.300(c)")
def test_an_administrator_sets_a_forgotten_password_which_its_holder_must_change(client_for, admin_user, qa_user):
    holder = sign_in("qa1")
    admin = client_for(admin_user)
    body = {"new_password": "Temporary-Pass-3", "reason": "Forgot the password, identity checked", "password": PASSWORD}

    wrong = admin.post(f"/api/users/{qa_user.pk}/set-password", {**body, "password": "Wrong-Pass-1"}, format="json")
    assert wrong.status_code == 401 and wrong.json()["error_code"] == "REAUTHENTICATION_FAILED"
    no_reason = admin.post(f"/api/users/{qa_user.pk}/set-password", {**body, "reason": ""}, format="json")
    assert no_reason.status_code == 422
    own = admin.post(f"/api/users/{admin_user.pk}/set-password", body, format="json")
    assert own.status_code == 409 and own.json()["error_code"] == "OWN_PASSWORD"

    done = admin.post(f"/api/users/{qa_user.pk}/set-password", body, format="json")
    assert done.status_code == 200 and done.json()["password_change_required"] is True
    assert holder.get("/api/auth/me").status_code == 401  # the holder's tokens were revoked
    temporary = sign_in("qa1", "Temporary-Pass-3")
    assert temporary.get("/api/documents/").json()["error_code"] == "PASSWORD_CHANGE_REQUIRED"
    [reset] = events(AccountAction.PASSWORD_RESET)
    assert reset.actor_username == "admin1" and reset.resource_id == qa_user.pk
    assert reset.reason == "Forgot the password, identity checked"


@pytest.mark.requirement("21CFR11.300(b)")
def test_createsuperuser_for_someone_else_requires_a_change_at_first_use(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Operator-Typed-1")
    call_command("createsuperuser", "--noinput", username="it-own", email="it@example.com", verbosity=0)
    call_command("createsuperuser", "--noinput", "--for-someone-else", username="boss", email="boss@example.com", verbosity=0)

    assert User.objects.get(username="it-own").password_change_required is False
    boss = User.objects.get(username="boss")
    assert boss.password_change_required is True
    [required] = events(AccountAction.PASSWORD_CHANGE_REQUIRED)
    assert required.resource_id == boss.pk and "createsuperuser" in required.reason


def test_an_import_sets_the_first_use_rule_through_the_service(admin_user):
    imported = services.create_user(
        actor=admin_user, username="legacy", email="legacy@example.com", password="Imported-Pass-1", via="import"
    )
    kept = services.create_user(
        actor=admin_user,
        username="sso",
        email="sso@example.com",
        password="Imported-Pass-2",
        via="import",
        password_change_required=False,
    )

    assert imported.password_change_required is True
    assert kept.password_change_required is False


# --- ageing and history ----------------------------------------------------------------------------------


@pytest.mark.requirement("21CFR11.300(b)", "ANNEX11.12")
def test_an_expired_password_must_be_changed_and_is_announced_days_ahead(make_user, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    settings.PASSWORD_EXPIRY_WARNING_DAYS = 14
    now = timezone.now()
    make_user("QA", username="soon", password_changed_at=now - datetime.timedelta(days=80))
    make_user("QA", username="old", password_changed_at=now - datetime.timedelta(days=91))

    soon = sign_in("soon")
    me = soon.get("/api/auth/me").json()
    assert me["password_expiry_warning"] is True and me["password_expires_in_days"] in (9, 10)
    assert me["password_change_required"] is False
    assert soon.get("/api/documents/").status_code == 200

    old = sign_in("old")
    refused = old.get("/api/documents/")
    assert refused.status_code == 403 and "expired" in refused.json()["detail"]
    assert old.get("/api/auth/me").json()["password_change_reason"] == "expired"
    assert change_password(old, PASSWORD, NEW_PASSWORD).status_code == 200
    assert sign_in("old", NEW_PASSWORD).get("/api/documents/").status_code == 200


def test_passwords_do_not_age_when_the_maximum_age_is_zero(make_user, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    make_user("QA", username="ageless", password_changed_at=timezone.now() - datetime.timedelta(days=3000))

    client = sign_in("ageless")

    assert client.get("/api/documents/").status_code == 200
    me = client.get("/api/auth/me").json()
    assert me["password_expires_at"] is None and me["password_expiry_warning"] is False


@pytest.mark.requirement("21CFR11.300(b)", "ANNEX11.12")
def test_the_last_passwords_cannot_be_chosen_again(make_user, settings):
    settings.PASSWORD_HISTORY = 3
    user = make_user("QA", username="cycler")
    passwords = [PASSWORD, "Second-Pass-2", "Third-Pass-3", "Fourth-Pass-4"]
    for current, new in zip(passwords, passwords[1:], strict=False):
        services.change_password(user=User.objects.get(pk=user.pk), current_password=current, new_password=new)

    client = sign_in("cycler", "Fourth-Pass-4")
    reused = change_password(client, "Fourth-Pass-4", "Second-Pass-2")
    assert reused.status_code == 422
    assert reused.json()["detail"][0]["loc"] == ["body", "new_password"]
    assert "last 3 passwords" in reused.json()["detail"][0]["msg"]
    # The one before the last three may be used again.
    assert change_password(client, "Fourth-Pass-4", PASSWORD).status_code == 200


# --- inactivity ------------------------------------------------------------------------------------------


@pytest.mark.requirement("ANNEX11.12", "21CFR11.300(b)")
def test_accounts_unused_for_the_inactivity_period_are_disabled_and_reactivated_with_a_reason(
    make_user, admin_user, client_for, settings
):
    settings.ACCOUNT_INACTIVITY_DAYS = 90
    now = timezone.now()
    idle = make_user("QA", username="idle", last_login=now - datetime.timedelta(days=120))
    never = make_user("User", username="never")
    User.objects.filter(pk__in=[idle.pk, never.pk]).update(date_joined=now - datetime.timedelta(days=400))
    recent = make_user("QA", username="recent", last_login=now - datetime.timedelta(days=5))
    User.objects.filter(pk__in=[admin_user.pk]).update(last_login=now)

    disabled = services.disable_inactive_accounts()

    assert sorted(u.username for u in disabled) == ["idle", "never"]
    assert not User.objects.get(pk=idle.pk).is_active and User.objects.get(pk=recent.pk).is_active
    event = AuditEvent.objects.get(action=str(AccountAction.INACTIVITY_DEACTIVATION), resource_id=idle.pk)
    assert event.actor_id is None and "Not used for more than 90 days" in event.reason

    reactivated = client_for(admin_user).patch(
        f"/api/users/{idle.pk}", {"is_active": True, "reason": "Back from long leave, confirmed by manager"}, format="json"
    )
    assert reactivated.status_code == 200 and reactivated.json()["is_active"] is True
    assert services.disable_inactive_accounts() == []  # reactivation restarted its clock


def test_the_inactivity_job_never_disables_the_last_administrator(make_user, settings):
    settings.ACCOUNT_INACTIVITY_DAYS = 30
    only_admin = make_user("Admin", username="sole-admin")
    User.objects.filter(pk=only_admin.pk).update(date_joined=timezone.now() - datetime.timedelta(days=60))

    assert services.disable_inactive_accounts() == []
    assert User.objects.get(pk=only_admin.pk).is_active


def test_the_inactivity_job_is_scheduled_daily_and_can_be_run_by_hand(make_user, settings, capsys):
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "accounts.tasks.disable_inactive_accounts")
    assert entry["schedule"] == datetime.timedelta(days=1)
    app.loader.import_default_modules()
    assert "accounts.tasks.disable_inactive_accounts" in app.tasks
    settings.ACCOUNT_INACTIVITY_DAYS = 30
    make_user("Admin", username="active-admin", last_login=timezone.now())
    gone = make_user("QA", username="gone", last_login=timezone.now() - datetime.timedelta(days=40))
    User.objects.filter(pk=gone.pk).update(date_joined=timezone.now() - datetime.timedelta(days=40))

    call_command("disable_inactive_accounts", "--dry-run")
    assert "gone would be disabled" in capsys.readouterr().out
    assert User.objects.get(username="gone").is_active
    assert app.tasks["accounts.tasks.disable_inactive_accounts"].apply().get() == 1
    assert not User.objects.get(username="gone").is_active


# --- ids and usernames never reused ------------------------------------------------------------------------


@pytest.mark.requirement("21CFR11.300(a)", "ANNEX11.12", "21CFR11.100")
def test_usernames_of_deactivated_users_cannot_be_taken_and_users_are_never_deleted(client_for, admin_user, make_user):
    leaver = make_user("QA", username="leaver", email="leaver@example.com")
    admin = client_for(admin_user)
    assert admin.delete(f"/api/users/{leaver.pk}?reason=Left%20the%20company%20in%20May").status_code == 204
    assert User.objects.filter(pk=leaver.pk, is_active=False).exists()  # deactivated, the row stays

    for username in ("leaver", "LEAVER"):
        again = admin.post(
            "/api/users/", {"username": username, "email": "new@example.com", "password": "Another-Pass-5"}, format="json"
        )
        assert again.status_code == 409 and again.json()["error_code"] == "USERNAME_TAKEN"
    with pytest.raises(UserDeletionRefused):
        User.objects.get(pk=leaver.pk).delete()
    with pytest.raises(UserDeletionRefused):
        User.objects.filter(pk=leaver.pk).delete()
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    assert site._registry[User].has_delete_permission(request, leaver) is False
    newcomer = admin.post(
        "/api/users/", {"username": "newcomer", "email": "newcomer@example.com", "password": "Another-Pass-5"}, format="json"
    )
    assert newcomer.json()["id"] > leaver.pk


# --- alerts of repeated failed attempts -------------------------------------------------------------------


@pytest.fixture
def alert_settings(settings):
    settings.FAILED_ATTEMPTS_ALERT_THRESHOLD = 3
    settings.FAILED_ATTEMPTS_ALERT_WINDOW_MINUTES = 60
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 10
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def fail_sign_in(login: str, times: int):
    for _ in range(times):
        response = APIClient().post("/api/auth/token", {"username": login, "password": "Wrong-Guess-0"}, format="json")
        assert response.status_code == 401


@pytest.mark.requirement("21CFR11.300(d)")
def test_repeated_failed_sign_ins_alert_the_administrators_urgently_once_per_window(
    alert_settings, admin_user, make_user, django_capture_on_commit_callbacks
):
    make_user("QA", username="target")
    with django_capture_on_commit_callbacks(execute=True):
        fail_sign_in("target", 2)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        fail_sign_in("target", 1)
    [message] = mail.outbox
    assert message.to == [admin_user.email]
    assert "URGENT" in message.subject and "'target'" in message.subject
    assert "3 failed sign-in or signature attempts" in message.body
    [alert] = events(AccountAction.FAILED_ATTEMPTS_ALERT)
    assert alert.new_values["attempts"] == 3 and alert.new_values["username"] == "target"

    with django_capture_on_commit_callbacks(execute=True):
        fail_sign_in("target", 2)
    assert len(mail.outbox) == 1  # one alert per account and window


@pytest.mark.requirement("21CFR11.300(d)")
def test_failed_signatures_and_unknown_login_names_count_too(
    alert_settings, admin_user, qa_user, django_capture_on_commit_callbacks
):
    calls = []
    alert_settings.ACCOUNT_ALERT_NOTIFIER = "accounts.tests.test_account_controls.record_alert"
    RECORDED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            with pytest.raises(services.AuthenticationFailed):
                services.authenticate_signer(user=qa_user, password="Not-My-Password-1")
        fail_sign_in("nobody-here", 3)
    calls = list(RECORDED)

    assert [(c["data"]["username"], c["data"]["known_account"]) for c in calls] == [("qa1", True), ("nobody-here", False)]
    assert all([u.username for u in c["recipients"]] == ["admin1"] for c in calls)
    assert "unknown login name 'nobody-here'" in calls[1]["subject"]


RECORDED: list[dict] = []


def record_alert(*, subject, message, recipients, data):
    RECORDED.append({"subject": subject, "message": message, "recipients": recipients, "data": data})


def test_the_alert_threshold_can_be_switched_off(settings, qa_user):
    settings.FAILED_ATTEMPTS_ALERT_THRESHOLD = 0
    assert alerts.check_failed_attempts(user=qa_user) is False


def test_an_administrator_requires_a_password_change_from_the_admin_site(client, admin_user, basic_user):
    User.objects.filter(pk=admin_user.pk).update(is_staff=True)
    client.force_login(admin_user)
    action = {"action": "require_password_changes", "_selected_action": [basic_user.pk]}

    client.post("/admin/accounts/user/", {**action, "reason": "Imported with a shared initial password", "apply": "Confirm"})

    assert User.objects.get(pk=basic_user.pk).password_change_required is True
    [event] = events(AccountAction.PASSWORD_CHANGE_REQUIRED)
    assert event.actor_username == "admin1" and event.reason == "Imported with a shared initial password"
    assert sign_in("user1").get("/api/documents/").json()["error_code"] == "PASSWORD_CHANGE_REQUIRED"
