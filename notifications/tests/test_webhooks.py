"""Webhooks against a local HTTP receiver: subscriptions (secret shown once, SSRF refusal), signed
deliveries after commit, retries after a 500 and after a timeout, the delivery log and redelivery."""

import datetime
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from deviations.tests.factories import DeviationFactory
from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookSubscription

from .receiver import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("QMS-WEBHOOKS")]


@pytest.fixture
def local_receivers(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on loopback
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5


def subscribe(client, url, events=("deviation.reported",)):
    response = client.post("/api/webhooks/", {"url": url, "events": list(events), "description": "ERP"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def later(seconds: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds)


def test_a_reported_deviation_is_posted_signed_to_the_subscriber(client_for, admin_user, local_receivers, after_commit):
    with Receiver() as receiver:
        created = subscribe(client_for(admin_user), receiver.url)
        secret = created["secret"]
        with after_commit():
            deviation = DeviationFactory()

        assert len(receiver.requests) == 1
        request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-QMS-Signature"], expected)
    assert headers["X-QMS-Event"] == "deviation.reported"
    delivery = WebhookDelivery.objects.get()
    assert headers["X-QMS-Delivery"] == str(delivery.delivery_id)
    payload = json.loads(body)
    assert (payload["event"], payload["resource_type"], payload["resource_id"]) == (
        "deviation.reported",
        "deviation",
        deviation.pk,
    )
    assert payload["data"]["number"] == deviation.number and payload["occurred_at"].endswith("Z")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)


def test_the_secret_is_shown_once(client_for, admin_user, local_receivers):
    client = client_for(admin_user)
    created = subscribe(client, "http://127.0.0.1:9/hook")
    assert created["secret"].startswith("whsec_")

    listed = client.get("/api/webhooks/").json()["items"][0]
    shown = client.get(f"/api/webhooks/{created['id']}").json()
    assert "secret" not in listed and "secret" not in shown
    rotated = client.post(f"/api/webhooks/{created['id']}/rotate-secret", {"reason": "Leaked in a ticket"}, format="json").json()
    assert rotated["secret"] != created["secret"]
    assert AuditEvent.objects.filter(resource_type="webhook", resource_id=created["id"], action="rotate_webhook_secret").exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
    ],
)
def test_private_and_loopback_targets_are_refused(client_for, admin_user, url):
    response = client_for(admin_user).post("/api/webhooks/", {"url": url, "events": ["deviation.closed"]}, format="json")
    assert response.status_code == 422
    assert response.json()["error_code"] == "WEBHOOK_URL_REFUSED"
    assert response.json()["detail"][0]["loc"] == ["body", "url"]
    assert not WebhookSubscription.objects.exists()


def test_a_url_that_later_resolves_privately_is_not_called(admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    subscription = webhooks.create_subscription(actor=admin_user, url="http://127.0.0.1:9/hook", events=["deviation.*"])
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event_id=1, event_name="deviation.closed", payload={}, next_attempt_at=timezone.now()
    )

    assert webhooks.deliver(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert "private, loopback or reserved" in delivery.last_error and delivery.last_status_code is None


def test_unknown_events_are_refused(client_for, admin_user, local_receivers):
    response = client_for(admin_user).post(
        "/api/webhooks/", {"url": "http://127.0.0.1:9/", "events": ["deviation.exploded", "nope"]}, format="json"
    )
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["body", "events", 0], ["body", "events", 1]]


def test_only_webhook_managers_configure_webhooks(client_for, qa_manager, auditor):
    for user in (qa_manager, auditor):
        assert client_for(user).get("/api/webhooks/").status_code == 403
        assert (
            client_for(user).post("/api/webhooks/", {"url": "https://example.com/", "events": ["*"]}, format="json").status_code
            == 403
        )


def test_a_500_is_retried_with_backoff_until_the_receiver_accepts(admin_user, local_receivers, after_commit):
    with Receiver([500, 500, 200]) as receiver:
        webhooks.create_subscription(actor=admin_user, url=receiver.url, events=["deviation.*"])
        with after_commit():
            DeviationFactory()
        delivery = WebhookDelivery.objects.get(event_name="deviation.reported")
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        first_wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 6 <= first_wait <= 13  # 10 s ± 20 %

        assert webhooks.deliver(delivery.pk) is None  # not due yet
        assert webhooks.deliver(delivery.pk, now=later(15)) == "retrying"
        delivery.refresh_from_db()
        second_wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 30 <= second_wait <= 50  # 40 s ± 20 %
        assert webhooks.deliver_due(now=later(60)) == {"succeeded": 1}
        ids = {r["headers"]["X-QMS-Delivery"] for r in receiver.requests}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert ids == {str(delivery.delivery_id)}  # one delivery id across its retries
    assert list(delivery.attempt_log.values_list("attempt", "status_code")) == [(1, 500), (2, 500), (3, 200)]


def test_a_timeout_is_retried_and_a_delivery_fails_after_its_last_try(admin_user, local_receivers, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    with Receiver(["slow", "slow"], slow_seconds=1.5) as receiver:
        subscription = webhooks.create_subscription(actor=admin_user, url=receiver.url, events=["deviation.*"])
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=1,
            event_name="deviation.closed",
            payload={"event": "deviation.closed"},
            next_attempt_at=timezone.now(),
        )
        assert webhooks.deliver(delivery.pk) == "retrying"
        delivery.refresh_from_db()
        assert delivery.last_error.startswith("Timed out after 0.5 s") and delivery.last_status_code is None
        assert webhooks.deliver(delivery.pk, now=later(60)) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    assert webhooks.deliver_due(now=later(86400)) == {}  # failed deliveries wait for a redelivery


def test_the_delivery_log_and_redelivery(client_for, admin_user, local_receivers, settings, after_commit):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    client = client_for(admin_user)
    with Receiver([503, 200]) as receiver:
        hook = subscribe(client, receiver.url, events=["deviation.reported"])
        with after_commit():
            DeviationFactory()
        log = client.get(f"/api/webhooks/{hook['id']}/deliveries").json()
        assert log["total"] == 1
        entry = log["items"][0]
        assert (entry["status"], entry["attempts"], entry["last_status_code"], entry["event_name"]) == (
            "failed",
            1,
            503,
            "deviation.reported",
        )
        assert entry["attempt_log"][0]["status_code"] == 503 and entry["attempt_log"][0]["duration_ms"] >= 0
        assert client.get(f"/api/webhooks/{hook['id']}/deliveries?status=failed").json()["total"] == 1
        assert client.get(f"/api/webhooks/{hook['id']}/deliveries?status=lost").status_code == 422

        with after_commit():
            redone = client.post(
                f"/api/webhooks/{hook['id']}/deliveries/{entry['id']}/redeliver", {"reason": "Receiver fixed"}, format="json"
            )
        assert redone.status_code == 202
        assert len(receiver.requests) == 2
    detail = client.get(f"/api/webhooks/{hook['id']}/deliveries/{entry['id']}").json()
    assert detail["status"] == "succeeded" and detail["payload"]["event"] == "deviation.reported"
    assert client.get(f"/api/webhooks/{hook['id']}/deliveries/999999").status_code == 404
    assert AuditEvent.objects.filter(action="redeliver_webhook", reason="Receiver fixed").exists()


def test_a_receiver_being_down_never_fails_the_business_write(admin_user, local_receivers, after_commit):
    webhooks.create_subscription(actor=admin_user, url="http://127.0.0.1:9/closed-port", events=["deviation.reported"])
    with after_commit():
        deviation = DeviationFactory()
    assert deviation.pk
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and "ConnectError" in delivery.last_error


def test_update_and_delete_are_audited(client_for, admin_user, local_receivers):
    client = client_for(admin_user)
    hook = subscribe(client, "http://127.0.0.1:9/hook")
    changed = client.patch(f"/api/webhooks/{hook['id']}", {"active": False, "reason": "Paused for ERP upgrade"}, format="json")
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert client.delete(f"/api/webhooks/{hook['id']}?reason=ERP retired").status_code == 204
    actions = list(AuditEvent.objects.filter(resource_type="webhook").order_by("pk").values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]
    assert client.get(f"/api/webhooks/{hook['id']}").status_code == 404


def test_the_event_catalogue_lists_subscribable_names(client_for, admin_user):
    names = {e["name"] for e in client_for(admin_user).get("/api/webhooks/events").json()}
    assert {"document.effective", "deviation.reported", "deviation.closed", "training.completed", "signature.created"} <= names
