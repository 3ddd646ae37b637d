"""Checks every stored document version file against its recorded SHA-256 and size.

Exit status 1 when a file is missing or altered (for monitoring). Read-only: it never changes a file.
"""

from django.core.management.base import BaseCommand, CommandError

from documents import files
from documents.models import DocumentVersion


class Command(BaseCommand):
    help = "Verify that every document version's stored file still has its recorded SHA-256 and size."

    def handle(self, *args, **options):
        problems, checked = [], 0
        for version in DocumentVersion.objects.select_related("document").order_by("pk").iterator():
            checked += 1
            problem = files.checksum_problem(version)
            if problem:
                problems.append(problem)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} of {checked} files failed the check.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} document files match their checksums."))
