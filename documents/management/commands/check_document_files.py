"""Checks every stored document version file against its recorded SHA-256 and size.

Exit status 1 when a file is missing or altered (for monitoring). Read-only: it never changes a file.
"""

import hashlib

from django.core.management.base import BaseCommand, CommandError

from documents import files
from documents.models import DocumentVersion


class Command(BaseCommand):
    help = "Verify that every document version's stored file still has its recorded SHA-256 and size."

    def handle(self, *args, **options):
        problems, checked = [], 0
        for version in DocumentVersion.objects.select_related("document").order_by("pk").iterator():
            checked += 1
            label = f"{version.document.number} v{version.version} ({version.file.name})"
            try:
                digest, size = hashlib.sha256(), 0
                with files.open_stored(version.file.name) as handle:
                    while chunk := handle.read(1024 * 1024):
                        digest.update(chunk)
                        size += len(chunk)
            except OSError as exc:
                problems.append(f"{label}: missing or unreadable ({exc})")
                continue
            if digest.hexdigest() != version.sha256 or size != version.file_size:
                problems.append(
                    f"{label}: content changed (sha256 {digest.hexdigest()[:12]}…, {size} bytes; "
                    f"recorded {version.sha256[:12]}…, {version.file_size} bytes)"
                )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} of {checked} files failed the check.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} document files match their checksums."))
