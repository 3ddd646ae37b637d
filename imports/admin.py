"""Import runs in the admin: read-only (runs are written by the import commands through
imports.services), with a link to each run's error report."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from qms.admin_services import ReadOnly

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "pk",
        "kind",
        "status",
        "started_at",
        "started_by_name",
        "source_name",
        "total_rows",
        "created_count",
        "updated_count",
        "skipped_count",
        "failed_count",
        "error_report_link",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["source_name", "source_sha256", "started_by_name", "command"]
    date_hierarchy = "started_at"
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["error_report_link"]

    @admin.display(description="Error report")
    def error_report_link(self, run):
        if not run.error_report:
            return "—"
        return format_html('<a href="{}">errors.csv</a>', reverse("imports:error_report", args=[run.pk]))
