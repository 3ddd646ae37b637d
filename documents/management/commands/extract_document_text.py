"""Runs text extraction for document versions that have not finished it (e.g. after a broker outage),
or with --all / --failed again for every or every failed version."""

from django.core.management.base import BaseCommand

from documents import services
from documents.models import DocumentVersion, ProcessingStatus


class Command(BaseCommand):
    help = "Extract the text of pending document versions (uploaded or stuck in processing)."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="Also retry versions whose extraction failed.")
        parser.add_argument("--all", action="store_true", help="Re-extract every version.")

    def handle(self, *args, **options):
        statuses = [ProcessingStatus.UPLOADED, ProcessingStatus.PROCESSING]
        if options["failed"]:
            statuses.append(ProcessingStatus.FAILED)
        versions = (
            DocumentVersion.objects.all() if options["all"] else DocumentVersion.objects.filter(processing_status__in=statuses)
        )
        counts: dict[str, int] = {}
        for version_id in versions.order_by("pk").values_list("pk", flat=True):
            result = services.process_version(version_id=version_id, force=True)
            counts[result.processing_status] = counts.get(result.processing_status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to do"
        self.stdout.write(self.style.SUCCESS(f"Text extraction: {summary}."))
