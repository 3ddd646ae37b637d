"""manage.py deliver_webhooks: tries every webhook delivery that is due and every notification email
still pending, in this process (without beat, e.g. from cron)."""

from django.core.management.base import BaseCommand

from notifications import services, webhooks


class Command(BaseCommand):
    help = "Tries the webhook deliveries whose next attempt is due (retries, and those the broker missed)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, **options):
        counts = webhooks.deliver_due(limit=options["limit"])
        sent = sum(1 for pk in services.pending_emails() if services.send_email(pk))
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"Webhook deliveries: {parts}. Pending notification emails sent: {sent}.")
