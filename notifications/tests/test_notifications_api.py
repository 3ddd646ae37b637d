"""The notification API as a user sees it: only their own notifications, filters, mark read (someone
else's is a 404), mark all read, the unread count, and delivery preferences."""

import pytest
from django.core import mail

from notifications import services
from notifications.kinds import Delivery, NotificationType, Priority
from notifications.models import EmailStatus, Notification

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("QMS-NOTIFICATIONS")]


def make(user, title="SOP-0001 waits for your approval", type=NotificationType.APPROVAL_GIVEN, **kwargs):
    return services.notify(recipients=[user], type=type, title=title, record=kwargs.pop("record", ("document", 1)), **kwargs)[0]


def test_a_user_lists_only_their_own_notifications_in_the_envelope(client_for, basic_user, qa_user):
    mine = make(basic_user, "For me")
    make(qa_user, "For someone else")

    body = client_for(basic_user).get("/api/notifications/").json()

    assert body["total"] == 1 and body["page"] == 1
    item = body["items"][0]
    assert (item["id"], item["title"], item["is_read"], item["read_at"]) == (mine.pk, "For me", False, None)
    assert item["link"] == "" and item["resource_type"] == "document"


def test_unread_and_priority_filters(client_for, basic_user):
    urgent = make(basic_user, "urgent", priority=Priority.URGENT, record=("document", 2))
    normal = make(basic_user, "normal", record=("document", 3))
    services.mark_read(actor=basic_user, notification_id=normal.pk)
    client = client_for(basic_user)

    assert [n["id"] for n in client.get("/api/notifications/?unread=true").json()["items"]] == [urgent.pk]
    assert [n["id"] for n in client.get("/api/notifications/?unread=false").json()["items"]] == [normal.pk]
    assert [n["id"] for n in client.get("/api/notifications/?priority=urgent").json()["items"]] == [urgent.pk]
    bad = client.get("/api/notifications/?priority=extreme")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "priority"]


def test_mark_read_is_for_the_recipient_only(client_for, basic_user, qa_user):
    notification = make(basic_user)

    other = client_for(qa_user).post(f"/api/notifications/{notification.pk}/mark-read")
    assert other.status_code == 404 and other.json()["error_code"] == "NOT_FOUND"
    notification.refresh_from_db()
    assert notification.read_at is None

    own = client_for(basic_user).post(f"/api/notifications/{notification.pk}/mark-read")
    assert own.status_code == 200 and own.json()["is_read"] is True
    again = client_for(basic_user).post(f"/api/notifications/{notification.pk}/mark-read")
    assert again.json()["read_at"] == own.json()["read_at"]  # idempotent: the first read time stays
    assert client_for(basic_user).post("/api/notifications/abc/mark-read").status_code == 404


def test_mark_all_read_and_the_unread_count(client_for, basic_user, qa_user):
    make(basic_user, "one", record=("document", 1))
    make(basic_user, "two", record=("document", 2), priority=Priority.HIGH)
    theirs = make(qa_user, "theirs")
    client = client_for(basic_user)

    assert client.get("/api/notifications/unread-count").json() == {"unread": 2, "by_priority": {"normal": 1, "high": 1}}
    assert client.post("/api/notifications/mark-all-read").json() == {"marked": 2, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_callers_get_401(api_client):
    assert api_client.get("/api/notifications/").status_code == 401


def test_the_same_trigger_twice_makes_one_notification(basic_user):
    first = services.notify(recipients=[basic_user], type="training_assigned", title="GMP", record=("training_assignment", 4))
    second = services.notify(recipients=[basic_user.pk], type="training_assigned", title="GMP", record=("training_assignment", 4))

    assert len(first) == 1 and second == []
    assert Notification.objects.filter(recipient=basic_user).count() == 1


def test_inactive_users_are_not_notified(make_user):
    gone = make_user("User", is_active=False)
    assert services.notify(recipients=[gone], type="training_assigned", title="x", record=("training_assignment", 1)) == []


@pytest.mark.requirement("QMS-NOTIFICATION-EMAIL")
def test_email_follows_the_preference_per_kind(client_for, basic_user, after_commit):
    response = client_for(basic_user).put(
        "/api/notifications/preferences",
        {"preferences": {"training_assigned": "in_app", "deviation_assigned": "email"}},
        format="json",
    )
    assert response.status_code == 200
    rows = {r["type"]: r for r in response.json()}
    assert rows["training_assigned"]["delivery"] == "in_app" and rows["training_assigned"]["default"] == "email"
    assert rows["security_alert"]["always_emailed"] is True

    with after_commit():
        quiet = make(basic_user, "GMP basics assigned", type="training_assigned", record=("training_assignment", 1))
        loud = make(
            basic_user, "DEV-2026-0001 assigned to you", type="deviation_assigned", record=("deviation", 1), link="/deviations/1/"
        )

    assert [m.subject for m in mail.outbox] == ["[QMS] DEV-2026-0001 assigned to you"]
    assert mail.outbox[0].to == [basic_user.email] and "/deviations/1/" in mail.outbox[0].body
    quiet.refresh_from_db()
    loud.refresh_from_db()
    assert (quiet.email_status, loud.email_status) == (EmailStatus.NONE, EmailStatus.SENT)


@pytest.mark.requirement("QMS-NOTIFICATION-EMAIL")
def test_urgent_notifications_are_emailed_whatever_the_preference(basic_user, after_commit):
    services.set_preferences(actor=basic_user, choices={"security_alert": Delivery.IN_APP})
    with after_commit():
        make(basic_user, "Repeated failed sign-ins", type="security_alert", record=("user", 9))
    assert [m.subject for m in mail.outbox] == ["[QMS] URGENT: Repeated failed sign-ins"]


@pytest.mark.requirement("QMS-NOTIFICATION-EMAIL")
def test_the_daily_digest_sends_one_email_per_user_once(basic_user, qa_user, after_commit):
    services.set_preferences(actor=basic_user, choices={"training_due_soon": "digest"})
    with after_commit():
        make(basic_user, "GMP basics due 2026-03-04", type="training_due_soon", record=("training_assignment", 1))
        make(basic_user, "Gowning due 2026-03-05", type="training_due_soon", record=("training_assignment", 2))
        make(qa_user, "Cleaning due 2026-03-05", type="training_due_soon", record=("training_assignment", 3))
    assert mail.outbox == []  # digest kinds wait for the digest

    assert services.send_digests() == 2
    assert services.send_digests() == 0  # a second run finds nothing left

    by_user = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 2
    digest = by_user[basic_user.email]
    assert digest.subject == "[QMS] Your daily digest: 2 notifications"
    assert "GMP basics due 2026-03-04" in digest.body and "Gowning due 2026-03-05" in digest.body


def test_a_failed_email_stays_pending_and_is_sent_later(basic_user, after_commit, settings):
    settings.EMAIL_BACKEND = "notifications.tests.test_notifications_api.BrokenBackend"
    with after_commit():
        notification = make(basic_user, "Deviation assigned", type="deviation_assigned", record=("deviation", 5))
    notification.refresh_from_db()
    assert (notification.email_status, notification.email_attempts) == (EmailStatus.PENDING, 1)
    assert "SMTP down" in notification.email_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.filter(pk=notification.pk).update(created_at=notification.created_at.replace(year=2020))
    from notifications.tasks import send_pending_emails

    assert send_pending_emails() == 1
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT and len(mail.outbox) == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


def test_unknown_preference_kinds_are_422(client_for, basic_user):
    response = client_for(basic_user).put("/api/notifications/preferences", {"preferences": {"nope": "email"}}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "preferences"]
