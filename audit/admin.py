"""Read-only admin screens for the audit trail and signatures (the database rejects changes anyway)."""

from django.contrib import admin

from qms.admin_services import ReadOnly

from .models import AuditEvent, Signature


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "timestamp", "actor_username", "action", "resource_type", "resource_id", "summary"]
    list_filter = ["action", "resource_type"]
    search_fields = ["summary", "actor_username", "request_id", "reason"]
    date_hierarchy = "timestamp"
    ordering = ["-sequence"]
    actions = None


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "signer_full_name", "signer_username", "signature_type", "resource_type", "resource_id"]
    list_filter = ["signature_type", "resource_type"]
    search_fields = ["signer_username", "signer_full_name", "intent"]
    date_hierarchy = "signed_at"
    actions = None
