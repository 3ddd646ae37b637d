"""Webhooks: subscriptions (services with permission check and audit), the fan-out of domain events
to them, and the signed HTTP delivery with retries.

    POST <url>
    Content-Type: application/json
    X-QMS-Event: deviation.closed
    X-QMS-Delivery: 6f1c...-uuid            (the same on every retry of one delivery)
    X-QMS-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the subscription's secret>

    {"event": "deviation.closed", "id": 812, "occurred_at": "2026-03-02T10:15:00Z",
     "resource_type": "deviation", "resource_id": 12, "actor": {...}, "request_id": "...", "data": {...}}

A delivery is tried up to WEBHOOKS_MAX_ATTEMPTS times (default 6) with exponential backoff and
jitter (WEBHOOKS_RETRY_BASE_SECONDS × 4^(n-1), ±20 %: about an hour in all) until the receiver
answers 2xx; each HTTP attempt is logged. Outbound URLs resolving to private, loopback, link-local
or otherwise non-public addresses are refused (when subscribing and again when sending) unless
WEBHOOKS_ALLOW_PRIVATE is on. Redirects are not followed.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import threading
import time
from functools import partial
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit import services as audit
from qms.errors import InvalidInputs, NotFound
from qms.events import OutboxEvent, catalogue, register_handler
from qms.events.names import check_pattern, pattern_matches
from qms.permissions import require

from .audit_actions import WebhookAction
from .models import WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription

logger = logging.getLogger("qms.webhooks")

PERMISSION = "webhooks.manage"
ERROR_CHARS = 2000
USER_AGENT = "QMS-Webhooks/1"


# --- subscriptions -------------------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str) -> None:
    """Raises UnsafeUrl (422, loc body.url) unless `url` is http(s) to a public address."""
    problem = url_problem(url)
    if problem:
        raise InvalidInputs([(["url"], problem, "value_error.url")], error_code="WEBHOOK_URL_REFUSED")


def url_problem(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "The URL must be http:// or https:// with a host name."
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return ""
    try:
        infos = socket.getaddrinfo(
            parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError):
        return f"The host {parts.hostname!r} does not resolve."
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return (
                f"The host {parts.hostname!r} resolves to {address}, a private, loopback or reserved address: "
                "webhooks go to public addresses only (WEBHOOKS_ALLOW_PRIVATE allows others)."
            )
    return ""


def check_events(events: list[str]) -> list[str]:
    """The subscribed names, each an event that exists or a pattern matching some ('deviation.*', '*')."""
    if not events:
        raise InvalidInputs([(["events"], "Name at least one event.", "value_error.missing")])
    known = list(catalogue())
    problems, cleaned = [], []
    for i, name in enumerate(events):
        name = str(name).strip()
        try:
            check_pattern(name)
        except ValueError as exc:
            problems.append((["events", i], str(exc), "value_error"))
            continue
        if not any(pattern_matches(name, k) for k in known):
            problems.append(
                (["events", i], f"{name!r} is no event of this system (see GET /api/webhooks/events).", "value_error.choice")
            )
            continue
        if name not in cleaned:
            cleaned.append(name)
    if problems:
        raise InvalidInputs(problems)
    return cleaned


def create_subscription(*, actor, url: str, events: list[str], description: str = "", active: bool = True) -> WebhookSubscription:
    require(actor, PERMISSION)
    check_url(url)
    events = check_events(events)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            url=url, events=events, description=description, active=active, secret=new_secret(), created_by=actor
        )
        audit.record(
            action=WebhookAction.CREATE,
            resource_type="webhook",
            resource_id=subscription.pk,
            summary=f"Webhook {subscription.pk} to {url} created for {', '.join(events)}",
            actor=actor,
            new_values=audit.snapshot(subscription, subscription.audit_fields),
        )
    return subscription


def update_subscription(*, actor, subscription: WebhookSubscription, changes: dict, reason: str = "") -> WebhookSubscription:
    require(actor, PERMISSION)
    if "url" in changes:
        check_url(changes["url"])
    if "events" in changes:
        changes["events"] = check_events(changes["events"])
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        before = audit.snapshot(subscription, subscription.audit_fields)
        for name in ("url", "events", "active", "description"):
            if name in changes:
                setattr(subscription, name, changes[name])
        subscription.row_version += 1
        subscription.save()
        audit.record_change(
            obj=subscription, before=before, actor=actor, summary=f"Webhook {subscription.pk} changed", reason=reason
        )
    return subscription


def rotate_secret(*, actor, subscription: WebhookSubscription, reason: str = "") -> WebhookSubscription:
    """A new secret (shown once); the old one stops signing at once."""
    require(actor, PERMISSION)
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            secret=new_secret(), row_version=F("row_version") + 1, updated_at=timezone.now()
        )
        audit.record(
            action=WebhookAction.ROTATE_SECRET,
            resource_type="webhook",
            resource_id=subscription.pk,
            summary=f"Secret of webhook {subscription.pk} rotated",
            actor=actor,
            reason=reason,
        )
    return WebhookSubscription.objects.get(pk=subscription.pk)


def delete_subscription(*, actor, subscription: WebhookSubscription, reason: str = "") -> None:
    require(actor, PERMISSION)
    with transaction.atomic():
        audit.record(
            action=WebhookAction.DELETE,
            resource_type="webhook",
            resource_id=subscription.pk,
            summary=f"Webhook {subscription.pk} to {subscription.url} deleted",
            actor=actor,
            old_values=audit.snapshot(subscription, subscription.audit_fields),
            reason=reason,
        )
        subscription.delete()


def redeliver(*, actor, delivery: WebhookDelivery, reason: str = "") -> WebhookDelivery:
    """Sends a delivery again (a fresh round of tries, the same X-QMS-Delivery id)."""
    require(actor, PERMISSION)
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        audit.record(
            action=WebhookAction.REDELIVER,
            resource_type="webhook",
            resource_id=delivery.subscription_id,
            summary=f"Delivery {delivery.delivery_id} ({delivery.event_name}) of webhook {delivery.subscription_id} sent again",
            actor=actor,
            new_values={"delivery_id": str(delivery.delivery_id), "event_id": delivery.event_id},
            reason=reason,
        )
        transaction.on_commit(partial(queue_delivery, delivery.pk))
    return WebhookDelivery.objects.get(pk=delivery.pk)


def subscription_for(actor, pk) -> WebhookSubscription:
    require(actor, PERMISSION)
    subscription = WebhookSubscription.objects.filter(pk=pk).first()
    if subscription is None:
        raise NotFound("Webhook not found.")
    return subscription


# --- fan-out (the event handler) --------------------------------------------------------------------------------


def register() -> None:
    """Every declared event may be subscribed to: one fan-out handler per event prefix (`document.*`,
    `deviation.*`, ...), named `webhooks.<prefix>` (called from AppConfig.ready)."""
    for prefix in sorted({name.split(".")[0] for name in catalogue()}):
        register_handler(f"{prefix}.*", fan_out, name=f"webhooks.{prefix}")


def fan_out(event: OutboxEvent) -> list[int]:
    """One delivery per active subscription whose events match (idempotent: one per subscription
    and event); their sending is queued after commit. Returns the new deliveries' ids."""
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(active=True) if any(pattern_matches(p, event.name) for p in s.events)
    ]
    if not subscriptions:
        return []
    payload = event.payload()
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=s, event_id=event.pk, event_name=event.name, payload=payload, next_attempt_at=now)
            for s in subscriptions
        ],
        ignore_conflicts=True,  # a redelivered event: one delivery per subscription and event already exists
    )
    ids = list(
        WebhookDelivery.objects.filter(event_id=event.pk, status=WebhookDeliveryStatus.PENDING, attempts=0).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        transaction.on_commit(partial(queue_delivery, pk))
    return ids


def queue_delivery(delivery_id: int, *, countdown: float | None = None) -> None:
    from .tasks import deliver_webhook

    try:
        deliver_webhook.apply_async((delivery_id,), countdown=countdown, retry=False)
    except Exception:  # stored; the beat job retry_due_webhooks sends it
        logger.warning("Webhook delivery %s not queued now; the beat job sends it later.", delivery_id, exc_info=True)


# --- sending --------------------------------------------------------------------------------------------------


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> datetime.timedelta:
    """Wait after failed attempt `attempts`: base × 4^(attempts-1), with ±20 % jitter."""
    base = settings.WEBHOOKS_RETRY_BASE_SECONDS * 4 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=base * random.uniform(0.8, 1.2))


_CLIENT: httpx.Client | None = None
_CLIENT_LOCK = threading.Lock()


def http_client() -> httpx.Client:
    """One connection-pooling HTTP client per process (making one builds a TLS context: slow)."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client(follow_redirects=False, limits=httpx.Limits(max_connections=50))
        return _CLIENT


def deliver(delivery_id: int, *, now: datetime.datetime | None = None, client: httpx.Client | None = None) -> str | None:
    """Makes the next attempt of a due delivery; returns "succeeded", "retrying", "failed", or None
    when it was not due or another worker holds it. The claim (attempt counted, next_attempt_at
    pushed to the end of a lease) is one conditional UPDATE, so two workers never send one attempt."""
    now = now or timezone.now()
    lease = now + datetime.timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS * 2 + 30)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=lease)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    status_code, error, started = None, "", timezone.now()
    clock = time.monotonic()
    if not subscription.active:
        error = "The webhook is inactive."
    else:
        error = url_problem(subscription.url)
    if not error:
        body = body_of(delivery.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-QMS-Event": delivery.event_name,
            "X-QMS-Delivery": str(delivery.delivery_id),
            "X-QMS-Signature": signature(subscription.secret, body),
        }
        try:
            response = (client or http_client()).post(
                subscription.url, content=body, headers=headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}: {response.text[:500]}"
        except httpx.TimeoutException as exc:
            error = f"Timed out after {settings.WEBHOOKS_TIMEOUT_SECONDS} s ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - clock) * 1000)
    return _record_attempt(delivery, started, status_code, duration_ms, error)


def _record_attempt(delivery: WebhookDelivery, started, status_code, duration_ms: int, error: str) -> str:
    attempts = delivery.attempts
    fields = {"last_status_code": status_code, "last_duration_ms": duration_ms, "last_error": error[:ERROR_CHARS]}
    if not error:
        outcome, fields = (
            "succeeded",
            {**fields, "status": WebhookDeliveryStatus.SUCCEEDED, "delivered_at": timezone.now(), "next_attempt_at": None},
        )
    elif attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        outcome, fields = "failed", {**fields, "status": WebhookDeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        delay = retry_delay(attempts)
        outcome, fields = "retrying", {**fields, "next_attempt_at": timezone.now() + delay}
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempt=attempts,
            started_at=started,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error[:ERROR_CHARS],
        )
        WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempts).update(**fields)
        if outcome == "retrying":
            transaction.on_commit(partial(queue_delivery, delivery.pk, countdown=delay.total_seconds()))
    log = logger.info if outcome == "succeeded" else logger.warning
    log("Webhook delivery %s (%s, attempt %s) %s %s", delivery.pk, delivery.event_name, attempts, outcome, error)
    return outcome


def due_deliveries(*, now: datetime.datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending deliveries whose next attempt is due (retries, and first attempts the broker missed)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due(*, now: datetime.datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Tries every due delivery here and now (the beat job without a broker; tests; `manage.py`)."""
    counts: dict[str, int] = {}
    for pk in due_deliveries(now=now, limit=limit):
        outcome = deliver(pk, now=now)
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts
