"""A minimal controlled record, registered with the workflow kit in apps.py and nothing else."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class SampleRecord(models.Model):
    number = models.CharField(max_length=30, unique=True)
    title = models.CharField(max_length=200)
    root_cause = models.TextField(blank=True)
    status = models.CharField(max_length=50, blank=True)
    workflow_instance = models.ForeignKey(
        "workflows.WorkflowInstance", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("kit_testapp:workflow", args=[self.pk])

    def signature_content(self) -> dict:
        return {"number": self.number, "title": self.title, "root_cause": self.root_cause}
