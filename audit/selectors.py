"""Reads of the audit trail and of signatures shared by the API, the exports and the pages."""

from django.db.models import QuerySet

from .models import AuditEvent, ChainHead, Signature


def audit_events() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.all()


def record_history(resource_type: str, resource_id: int) -> QuerySet[AuditEvent]:
    """Every event about one record, oldest first."""
    return AuditEvent.objects.filter(resource_type=resource_type, resource_id=resource_id).order_by("sequence")


def chain_length() -> int:
    """The sequence number of the newest committed event (0 when the trail is empty)."""
    head = ChainHead.objects.filter(pk=1).values_list("length", flat=True).first()
    if head is not None:
        return head
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    return last or 0


def signatures() -> QuerySet[Signature]:
    return Signature.objects.all()


def signatures_for(resource_type: str, resource_id: int) -> QuerySet[Signature]:
    return Signature.objects.filter(resource_type=resource_type, resource_id=resource_id).order_by("signed_at", "pk")
