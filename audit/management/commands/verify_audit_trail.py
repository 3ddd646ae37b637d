"""Walks the audit trail's keyed hash chain and compares it with the checkpoints kept outside the database.

Prints `OK: N events` (and the latest checkpoint), or names the first broken event or checkpoint
problem and exits 1.
"""

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every event's keyed hash, and the chain against the checkpoints in "
        "AUDIT_CHECKPOINT_DIR (exit status 1 and the first problem when it does not verify)."
    )

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.valid:
            where = (
                f"event {result.first_broken_event} (sequence {result.first_broken_sequence})"
                if result.first_broken_event is not None
                else f"the end of the chain (sequence {result.first_broken_sequence})"
            )
            others = "".join(f"\n  also: {problem}" for problem in result.problems[1:])
            raise CommandError(
                f"BROKEN at {where}: {result.problem}. {result.events} events before it verify.{others}", returncode=1
            )
        self.stdout.write(f"OK: {result.events} events")
        if result.checkpoint:
            checkpoint = result.checkpoint
            self.stdout.write(
                f"Latest checkpoint {checkpoint['number']}: sequence {checkpoint['sequence']} at {checkpoint['created_at']}"
            )
        else:
            self.stdout.write("No checkpoint written yet (manage.py audit_checkpoint).")
