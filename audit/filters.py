"""Filters for audit events and signatures, shared by the API, the exports and the pages.

A record's trail: `resource_type` and `resource_id` match the record itself AND everything whose
subject it is (audit.subjects), so `?resource_type=document&resource_id=7` gives the document's
events, its versions' events and signatures, its approvals. `subject_type`/`subject_id` match the
subject only. Invalid filter values are a 422 with loc ["query", <name>] (qms.api.filters.QueryFilterBackend).
"""

import datetime
from decimal import Decimal

import django_filters
from django.db.models import Q
from django.utils import timezone

from qms.api.filters import CommaListFilter, IdFilter
from qms.api.filters import DateTimeBoundFilter as DateBoundFilter

from .models import AuditEvent, Signature, SignatureType


class RecordTrailFilterSet(django_filters.FilterSet):
    """`resource_type`/`resource_id` select a record's whole trail: the record or its subject."""

    resource_type = django_filters.CharFilter(method="filter_trail", label="Record type (the record or its subject)")
    resource_id = IdFilter(method="filter_trail", label="Record id (the record or its subject)")
    subject_type = django_filters.CharFilter(field_name="subject_type", label="Subject (root record) type")
    subject_id = IdFilter(field_name="subject_id", label="Subject (root record) id")

    def filter_trail(self, queryset, name, value):
        """Type and id apply together (by the first of them that is given)."""
        resource_type = self.form.cleaned_data.get("resource_type") or None
        resource_id = self.form.cleaned_data.get("resource_id")
        if name == "resource_id" and resource_type:
            return queryset  # applied with resource_type
        return trail_of(queryset, resource_type, int(resource_id) if resource_id is not None else None)


def trail_of(queryset, resource_type: str | None, resource_id: int | None):
    """Rows about the record (type and/or id) or whose subject it is."""
    own, subject = Q(), Q()
    if resource_type:
        own &= Q(resource_type=resource_type)
        subject &= Q(subject_type=resource_type)
    if resource_id is not None:
        own &= Q(resource_id=resource_id)
        subject &= Q(subject_id=resource_id)
    if not own:
        return queryset
    return queryset.filter(own | subject)


class AuditEventFilter(RecordTrailFilterSet):
    user_id = IdFilter(field_name="actor_id", label="User id (the actor)")
    action = CommaListFilter(field_name="action", label="Action (comma-separated for several)")
    date_from = DateBoundFilter(field_name="timestamp", label="From (date or date-time, UTC)")
    date_to = DateBoundFilter(field_name="timestamp", upper=True, label="To (date or date-time, UTC; a date includes the day)")
    request_id = django_filters.CharFilter(field_name="request_id", label="Request id")
    import_run = IdFilter(field_name="context__import_run", label="Import run id (events of records loaded by it)")
    q = django_filters.CharFilter(field_name="summary", lookup_expr="icontains", label="Text in the summary")

    class Meta:
        model = AuditEvent
        fields = [
            "user_id",
            "action",
            "resource_type",
            "resource_id",
            "subject_type",
            "subject_id",
            "date_from",
            "date_to",
            "request_id",
            "import_run",
            "q",
        ]


class SignatureFilter(RecordTrailFilterSet):
    document_id = IdFilter(method="filter_document", label="Document id (its versions' signatures too)")
    signer_id = IdFilter(field_name="signer_id")
    signature_type = django_filters.ChoiceFilter(field_name="signature_type", choices=SignatureType.choices)
    date_from = DateBoundFilter(field_name="signed_at")
    date_to = DateBoundFilter(field_name="signed_at", upper=True)

    class Meta:
        model = Signature
        fields = [
            "document_id",
            "resource_type",
            "resource_id",
            "subject_type",
            "subject_id",
            "signer_id",
            "signature_type",
            "date_from",
            "date_to",
        ]

    def filter_document(self, queryset, name, value):
        return queryset.filter(subject_type="document", subject_id=value)


def applied_filters(filterset: django_filters.FilterSet) -> dict:
    """The filters that were given, as strings (for export headers and the export's audit event)."""
    data = filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}
    out = {}
    for name, value in data.items():
        if value in (None, ""):
            continue
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value, datetime.UTC).isoformat()
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, (Decimal, float)) and value == int(value):
            value = int(value)
        out[name] = str(value) if not isinstance(value, int) else value
    return out
