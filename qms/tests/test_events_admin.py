"""The outbox in the Django admin: visible to administrators and auditors, changeable by nobody."""

import pytest
from django.db import transaction

from qms.events import EventDelivery, emit
from qms.events.testing import handler_registered

from .test_events import ProbeEvent, Recorder

pytestmark = pytest.mark.django_db


def test_the_outbox_is_read_only_in_the_admin(client, make_user):
    admin = make_user("Admin", username="root", is_staff=True)
    with handler_registered("probe.*", Recorder(), name="test.recorder"):
        with transaction.atomic():
            event = emit(ProbeEvent.HAPPENED, ("document", 5))
    delivery = EventDelivery.objects.get(event=event)
    client.force_login(admin)

    listing = client.get("/admin/qms/outboxevent/")
    detail = client.get(f"/admin/qms/outboxevent/{event.pk}/change/")
    deliveries = client.get("/admin/qms/eventdelivery/?status=pending")

    assert listing.status_code == detail.status_code == deliveries.status_code == 200
    assert "probe.happened" in listing.content.decode()
    assert "test.recorder" in detail.content.decode() and 'name="_save"' not in detail.content.decode()
    assert f"/admin/qms/eventdelivery/{delivery.pk}/change/" in deliveries.content.decode()
    assert client.get("/admin/qms/outboxevent/add/").status_code == 403
    assert client.post(f"/admin/qms/outboxevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
