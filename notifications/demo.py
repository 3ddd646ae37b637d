"""Demo notifications: the ones the earlier modules' demo data triggered through their events (the
QA Manager is asked to approve WI-0001, the trainee hears of their training, ...) plus today's
reminders (overdue training, periodic reviews). Idempotent like every reminder run."""

from . import reminders
from .models import Notification


def seed(stdout) -> None:
    report = reminders.send_reminders()
    stdout.write(f"Notifications: {Notification.objects.count()} in all; reminders today: {report}")
