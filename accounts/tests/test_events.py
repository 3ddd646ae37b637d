"""Account events other modules subscribe to: a user created, deactivated, reactivated."""

import pytest

from accounts import services
from qms.events import OutboxEvent

pytestmark = pytest.mark.django_db


def test_creating_deactivating_and_reactivating_a_user_emit_events(admin_user):
    user = services.create_user(
        actor=admin_user, username="new.analyst", email="analyst@example.com", password="Lab-Bench-42", role="QA"
    )
    services.deactivate_user(actor=admin_user, user=user, reason="Left the company")
    services.update_user(actor=admin_user, user=user, changes={"is_active": True}, reason="Rehired after a break")
    services.update_user(actor=admin_user, user=user, changes={"full_name": "Nia Analyst"})  # not an access change

    events = [(e.name, e.resource_type, e.resource_id, e.actor_username, e.data) for e in OutboxEvent.objects.order_by("pk")]
    assert events == [
        ("user.created", "user", user.pk, "admin1", {"username": "new.analyst", "role": "QA", "via": "admin"}),
        ("user.deactivated", "user", user.pk, "admin1", {"reason": "Left the company"}),
        ("user.reactivated", "user", user.pk, "admin1", {"reason": "Rehired after a break"}),
    ]


def test_a_self_registered_user_is_the_actor_of_their_creation(settings):
    settings.REGISTRATION_ENABLED = True

    user = services.register_user(username="self.made", email="self@example.com", password="Lab-Bench-42")

    event = OutboxEvent.objects.get(name="user.created")
    assert (event.actor_id, event.data["via"]) == (user.pk, "register")
