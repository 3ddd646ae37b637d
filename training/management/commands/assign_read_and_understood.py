"""Gives each document's training audience its read-and-understood assignments for the version in
force, e.g. after an audience was configured for documents that are already effective.
Idempotent: people who already hold an assignment for that version are left alone.

    manage.py assign_read_and_understood SOP-0001 WI-0003
    manage.py assign_read_and_understood --all
"""

from django.core.management.base import BaseCommand, CommandError

from documents.models import Document
from training import services


class Command(BaseCommand):
    help = "Assign read-and-understood training for the effective version of the named documents (or --all)."

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", help="Document numbers, e.g. SOP-0001")
        parser.add_argument("--all", action="store_true", help="Every document that has an effective version")

    def handle(self, *args, numbers, **options):
        if not numbers and not options["all"]:
            raise CommandError("Name document numbers (e.g. SOP-0001) or give --all.")
        documents = Document.objects.filter(effective_version__isnull=False).select_related("effective_version")
        if numbers:
            documents = documents.filter(number__in=numbers)
            missing = sorted(set(numbers) - set(documents.values_list("number", flat=True)))
            if missing:
                raise CommandError(f"No effective document numbered {', '.join(missing)}.")
        for document in documents.order_by("number"):
            version = document.effective_version
            outcome = services.assign_read_and_understood(version=version)
            if outcome.skipped_reason:
                self.stdout.write(f"{document.number} v{version.version}: nothing to do ({outcome.skipped_reason})")
                continue
            self.stdout.write(
                f"{document.number} v{version.version}: {len(outcome.created)} assigned, "
                f"{outcome.already_assigned} already assigned, {len(outcome.cancelled)} earlier-version items cancelled"
            )
