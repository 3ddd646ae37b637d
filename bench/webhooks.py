"""Webhook fan-out throughput: 1,000 events fanned out to a subscription and POSTed, signed, to a
local HTTP receiver; prints deliveries per second in one process and with parallel senders.

    .venv/bin/python bench/webhooks.py                       # temporary SQLite database
    .venv/bin/python bench/webhooks.py --database-url postgres://postgres@127.0.0.1:5432/qms_bench --workers 4

A PostgreSQL database given here must be a scratch one. "Workers" are threads each running the
delivery service as a Celery worker would (one claim, one POST, one log row per attempt).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    harness.configure(args.database_url)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    from accounts.models import User
    from notifications import webhooks
    from notifications.models import WebhookDelivery, WebhookSubscription
    from notifications.tests.receiver import Receiver
    from qms.events import OutboxEvent

    # Sending is measured on its own below: the fan-out's after-commit queueing is left out here.
    webhooks.queue_delivery = lambda *args, **kwargs: None
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-admin", "bench@example.com", "x"
    )
    now = timezone.now()
    events = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                name="deviation.reported", resource_type="deviation", resource_id=i, occurred_at=now, data={"number": f"DEV-{i}"}
            )
            for i in range(args.deliveries)
        ]
    )
    print(f"database: {connection.vendor}; {args.deliveries} events of deviation.reported")
    with Receiver() as receiver:
        for round_name, workers in (("one process", 1), (f"{args.workers} parallel senders", args.workers)):
            WebhookSubscription.objects.all().delete()
            webhooks.create_subscription(actor=admin, url=receiver.url, events=["deviation.*"])
            receiver.requests.clear()
            start = time.perf_counter()
            for event in events:
                with transaction.atomic():
                    webhooks.fan_out(event)  # the handler: deliveries written, sending queued after commit
            fanned = time.perf_counter() - start
            ids = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))

            def send(chunk):
                try:
                    for pk in chunk:
                        webhooks.deliver(pk)
                finally:
                    connection.close()

            start = time.perf_counter()
            if workers == 1:
                for pk in ids:
                    webhooks.deliver(pk)
            else:
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(send, [ids[i::workers] for i in range(workers)]))
            sent = time.perf_counter() - start
            ok = WebhookDelivery.objects.filter(status="succeeded").count()
            print(
                f"{round_name}: fan-out {len(ids)} deliveries in {fanned:.2f} s ({len(ids) / fanned:.0f}/s); "
                f"sent {ok} in {sent:.2f} s = {ok / sent:.0f} deliveries/s; receiver got {len(receiver.requests)}"
            )
    WebhookSubscription.objects.all().delete()
    OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).delete()


if __name__ == "__main__":
    main()
