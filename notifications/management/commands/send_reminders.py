"""manage.py send_reminders [--date YYYY-MM-DD]: the reminder beat job, here and now (idempotent)."""

import datetime

from django.core.management.base import BaseCommand

from notifications import reminders


class Command(BaseCommand):
    help = "Due-soon and overdue reminders and periodic review reminders (what beat runs daily); safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="Remind as of this day (default: today)")

    def handle(self, *args, **options):
        self.stdout.write(str(reminders.send_reminders(today=options["date"])))
