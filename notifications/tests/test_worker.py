"""End to end with a real Celery worker (Redis when REDIS_URL is set, as in CI; Celery's in-memory
transport otherwise): a deviation is reported, its event goes through the broker to the worker,
which fans it out and POSTs the signed webhook to a local receiver."""

import hashlib
import hmac

import pytest

from deviations.tests.factories import DeviationFactory
from documents.tests.test_worker import running_worker, wait_for
from notifications import webhooks
from notifications.models import WebhookDelivery

from .receiver import Receiver

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.requirement("QMS-WEBHOOKS")]


def test_a_worker_delivers_a_webhook_end_to_end(admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with Receiver() as receiver, running_worker():
        subscription = webhooks.create_subscription(actor=admin_user, url=receiver.url, events=["deviation.reported"])
        deviation = DeviationFactory()

        assert wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").exists())
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
    signature = "sha256=" + hmac.new(subscription.secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-QMS-Signature"] == signature
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event_name, delivery.payload["resource_id"], delivery.attempts) == ("deviation.reported", deviation.pk, 1)
