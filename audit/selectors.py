"""Reads of the audit trail and of signatures shared by the API, the exports and the pages."""

from django.db.models import Q, QuerySet

from . import chain
from .filters import trail_of
from .models import AuditEvent, Signature


def audit_events() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.all()


def record_history(resource_type: str, resource_id: int) -> QuerySet[AuditEvent]:
    """Every event about one record and the records it is the subject of, oldest first."""
    return trail_of(AuditEvent.objects.all(), resource_type, resource_id).order_by("sequence")


def chain_length() -> int:
    """The sequence number of the newest committed event (0 when the trail is empty)."""
    return chain.head()[0]


def signatures() -> QuerySet[Signature]:
    return Signature.objects.all()


def signatures_visible_to(user) -> QuerySet[Signature]:
    """Signatures on records `user` may view (the signable types' visibility rules, see
    audit.signatures.register_signable). A signature shows the signed content, so it is as
    confidential as the record; signatures of unregistered types are not shown."""
    from .signatures import registered_types

    unrestricted: list[str] = []
    restricted = Q(pk__in=[])
    for resource_type, signable in registered_types().items():
        condition = signable.visible_condition(user)
        if condition is None:
            continue
        if condition == Q():
            unrestricted.append(resource_type)
        else:
            restricted |= Q(resource_type=resource_type) & condition
    # The types the user sees in full are one IN: a short WHERE clause to build and to plan.
    return Signature.objects.filter(Q(resource_type__in=unrestricted) | restricted)


def signatures_of_record(resource_type: str, resource_id: int, *, queryset: QuerySet[Signature] | None = None):
    """Signatures on the record and on the records it is the subject of, oldest first."""
    queryset = Signature.objects.all() if queryset is None else queryset
    return trail_of(queryset, resource_type, int(resource_id)).order_by("signed_at", "pk")


def signatures_for(resource_type: str, resource_id: int) -> QuerySet[Signature]:
    return Signature.objects.filter(resource_type=resource_type, resource_id=resource_id).order_by("signed_at", "pk")
