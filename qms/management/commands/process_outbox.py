"""Delivers what the after-commit dispatch missed and retries due deliveries (what beat runs every
EVENTS_SWEEP_SECONDS); handlers run in this process. Safe to run beside workers and twice at once."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from qms.events import sweep


class Command(BaseCommand):
    help = "Sweep the event outbox: deliver events still pending after the grace period and retries that are due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=settings.EVENTS_SWEEP_SECONDS,
            help="Leave events younger than this to the after-commit dispatch (default EVENTS_SWEEP_SECONDS; 0: all).",
        )
        parser.add_argument("--limit", type=int, default=500, help="At most this many events per run (default 500).")

    def handle(self, *args, grace_seconds: int, limit: int, **options):
        report = sweep(grace=timedelta(seconds=grace_seconds), limit=limit)
        self.stdout.write(f"Outbox sweep: {report}.")
