"""Import runs: one row per run of an import command (not for dry runs, which change nothing).

What QA is shown afterwards: who loaded which file (path, size, SHA-256) when, with which command
line, and what came of each row (created, updated, skipped, failed), with the per-row error report.
Every audit event written for an imported record carries the run id and the row
(`AuditEvent.context`), so a record can be traced back to its file and row.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class ImportKind(models.TextChoices):
    USERS = "users", "Users"
    DOCUMENTS = "documents", "Documents"
    TRAINING = "training", "Training records"
    DEVIATIONS = "deviations", "Deviations"
    CAPAS = "capas", "CAPAs"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED_ROWS = "failed_rows", "Finished with failed rows"
    ABORTED = "aborted", "Aborted"


class ImportRun(models.Model):
    audit_resource_type = "import_run"

    kind = models.CharField(max_length=20, choices=ImportKind.choices, db_index=True)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_by_name = models.CharField(max_length=200, help_text="Printed name of the accountable user at the time")
    os_user = models.CharField(max_length=150, blank=True, help_text="Operating-system user that ran the command")
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    command = models.TextField(help_text="The command line as run")
    source_path = models.CharField(max_length=1000, help_text="The input file as given")
    source_name = models.CharField(max_length=255)
    source_sha256 = models.CharField(max_length=64)
    source_size = models.PositiveBigIntegerField()
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error_report_path = models.CharField(max_length=1000, blank=True, help_text="The error report written next to the input")
    error_report = models.CharField(max_length=500, blank=True, help_text="Stored copy of the error report (file storage name)")
    message = models.TextField(blank=True, help_text="Why the run was aborted, if it was")

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Import run {self.pk} ({self.get_kind_display()}, {self.source_name})"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def processed(self) -> int:
        return self.created_count + self.updated_count + self.skipped_count + self.failed_count
