"""Walks the audit trail's hash chain: prints `OK: N events` or names the first broken event and exits 1."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail hash chain (exit status 1 and the first broken event when it does not verify)."

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.valid:
            raise CommandError(
                f"BROKEN at event {result.first_broken_event} (sequence {result.first_broken_sequence}): "
                f"{result.problem}. {result.events} events before it verify.",
                returncode=1,
            )
        self.stdout.write(f"OK: {result.events} events")
