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


def hidden_signable_types(user) -> list[str]:
    """Record types whose signatures `user` may not see: those registered with a view permission
    (e.g. groups.view) that the user lacks. A signature shows the signed content, so it is as
    confidential as the record."""
    from .signatures import registered_types

    return [
        rt
        for rt, signable in registered_types().items()
        if signable.view_permission and not user.has_qms_permission(signable.view_permission)
    ]


def signatures_visible_to(user) -> QuerySet[Signature]:
    hidden = hidden_signable_types(user)
    return Signature.objects.exclude(resource_type__in=hidden) if hidden else Signature.objects.all()


def signatures_for(resource_type: str, resource_id: int) -> QuerySet[Signature]:
    return Signature.objects.filter(resource_type=resource_type, resource_id=resource_id).order_by("signed_at", "pk")
