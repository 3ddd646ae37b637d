"""Puts failed event deliveries back to pending and delivers them now, in this process."""

from django.core.management.base import BaseCommand

from qms.events import DeliveryReport, deliver_event, redeliver_failed


class Command(BaseCommand):
    help = "Redeliver failed event deliveries (all of them, or those of one handler or some events)."

    def add_arguments(self, parser):
        parser.add_argument("--handler", help="Only deliveries to this handler.")
        parser.add_argument("--event", type=int, action="append", dest="events", help="Only this event id (repeatable).")

    def handle(self, *args, handler: str | None, events: list[int] | None, **options):
        event_ids = redeliver_failed(handler=handler, event_ids=events)
        if not event_ids:
            self.stdout.write("No failed deliveries to redeliver.")
            return
        report = DeliveryReport()
        for event_id in event_ids:
            report.add(deliver_event(event_id))
        self.stdout.write(f"Redelivered {report}.")
