"""Deletes outbox events that every handler received and that are older than the retention period."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qms.events.delivery import prune


class Command(BaseCommand):
    help = "Delete delivered outbox events older than --days (default EVENTS_RETENTION_DAYS); pending and failed ones stay."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.EVENTS_RETENTION_DAYS)

    def handle(self, *args, days: int, **options):
        if days <= 0:
            raise CommandError("Give --days 1 or more (EVENTS_RETENTION_DAYS=0 keeps every event).")
        self.stdout.write(f"Deleted {prune(older_than=timedelta(days=days))} delivered event(s) older than {days} day(s).")
