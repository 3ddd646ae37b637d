"""The pages: the bell with the unread count in every page's navigation, the notification list
(only one's own), mark read (htmx or plain), follow the link, mark all read, and preferences."""

import pytest

from conftest import PASSWORD
from notifications import services
from notifications.models import Notification, NotificationPreference

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("QMS-NOTIFICATIONS")]


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return sign_in


def make(user, title, n=1, link=""):
    return services.notify(recipients=[user], type="deviation_assigned", title=title, record=("deviation", n), link=link)[0]


def test_the_bell_shows_the_unread_count_on_every_page(signed_in, basic_user):
    make(basic_user, "one", 1)
    make(basic_user, "two", 2)
    page = signed_in(basic_user).get("/").content.decode()
    assert 'data-testid="notification-bell"' in page
    assert 'data-testid="bell-count"' in page and ">2</span>" in page
    assert signed_in(basic_user).get("/notifications/bell").content.decode().count(">2<") == 1


def test_the_list_shows_only_my_notifications_and_marks_them_read(signed_in, basic_user, qa_user):
    mine = make(basic_user, "DEV-2026-0001 assigned to you", link="/deviations/1/")
    make(qa_user, "Not for Uma")
    client = signed_in(basic_user)

    page = client.get("/notifications/").content.decode()
    assert "DEV-2026-0001 assigned to you" in page and "Not for Uma" not in page

    row = client.post(f"/notifications/{mine.pk}/read", HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "read " in row.content.decode()
    mine.refresh_from_db()
    assert mine.read_at is not None

    follow = client.post(f"/notifications/{mine.pk}/read", {"follow": "1"})
    assert follow.status_code == 302 and follow["Location"] == "/deviations/1/"


def test_someone_elses_notification_cannot_be_marked_read(signed_in, basic_user, qa_user):
    theirs = make(qa_user, "Not for Uma")
    response = signed_in(basic_user).post(f"/notifications/{theirs.pk}/read", follow=True)
    assert "Notification not found." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_and_preferences(signed_in, basic_user):
    make(basic_user, "one", 1)
    make(basic_user, "two", 2)
    client = signed_in(basic_user)
    client.post("/notifications/read-all")
    assert not Notification.objects.filter(recipient=basic_user, read_at__isnull=True).exists()

    assert "Daily digest email" in client.get("/notifications/preferences").content.decode()
    client.post("/notifications/preferences", {"training_assigned": "digest", "approval_needed": "bogus"})
    assert dict(NotificationPreference.objects.filter(user=basic_user).values_list("type", "delivery")) == {
        "training_assigned": "digest"
    }


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response["Location"]
