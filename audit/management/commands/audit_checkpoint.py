"""Writes a signed checkpoint of the audit chain (sequence and head hash) outside the database.

Run it from cron or let Celery beat run `audit.tasks.write_checkpoint` (every
AUDIT_CHECKPOINT_MINUTES). The chain is verified first; a chain that does not verify gets no
checkpoint and the command exits 1.
"""

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import CheckpointStoreError
from audit.services import CheckpointRefused, write_checkpoint


class Command(BaseCommand):
    help = "Append a signed checkpoint of the audit chain to AUDIT_CHECKPOINT_DIR (and record it in the trail)."

    def handle(self, *args, **options):
        try:
            checkpoint = write_checkpoint(actor=None)
        except (CheckpointRefused, CheckpointStoreError) as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(
            f"Checkpoint {checkpoint.number}: sequence {checkpoint.sequence}, head {checkpoint.head_hash[:16]}…, "
            f"key {checkpoint.key_id}"
        )
