"""Disables accounts unused for ACCOUNT_INACTIVITY_DAYS (what the daily beat job does)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import services


class Command(BaseCommand):
    help = "Disable accounts unused for ACCOUNT_INACTIVITY_DAYS (audited; an administrator reactivates them with a reason)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the accounts without disabling them.")

    def handle(self, *args, dry_run=False, **options):
        if settings.ACCOUNT_INACTIVITY_DAYS <= 0:
            self.stdout.write("ACCOUNT_INACTIVITY_DAYS is 0: accounts are never disabled for inactivity.")
            return
        users = services.disable_inactive_accounts(dry_run=dry_run)
        verb = "would be disabled" if dry_run else "disabled"
        for user in users:
            self.stdout.write(f"{user.username} {verb}")
        self.stdout.write(f"{len(users)} account{'s' if len(users) != 1 else ''} {verb}.")
