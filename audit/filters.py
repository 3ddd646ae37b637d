"""Filters for audit events and signatures, shared by the API, the exports and the pages.

Invalid filter values are a 422 with loc ["query", <name>] (QueryFilterBackend).
"""

import datetime
from decimal import Decimal

import django_filters
from django.utils import timezone

from qms.api.filters import CommaListFilter, IdFilter
from qms.api.filters import DateTimeBoundFilter as DateBoundFilter

from .models import AuditEvent, Signature, SignatureType


class AuditEventFilter(django_filters.FilterSet):
    user_id = IdFilter(field_name="actor_id", label="User id (the actor)")
    action = CommaListFilter(field_name="action", label="Action (comma-separated for several)")
    resource_type = django_filters.CharFilter(field_name="resource_type", label="Record type")
    resource_id = IdFilter(field_name="resource_id", label="Record id")
    date_from = DateBoundFilter(field_name="timestamp", label="From (date or date-time, UTC)")
    date_to = DateBoundFilter(field_name="timestamp", upper=True, label="To (date or date-time, UTC; a date includes the day)")
    request_id = django_filters.CharFilter(field_name="request_id", label="Request id")
    q = django_filters.CharFilter(field_name="summary", lookup_expr="icontains", label="Text in the summary")

    class Meta:
        model = AuditEvent
        fields = ["user_id", "action", "resource_type", "resource_id", "date_from", "date_to", "request_id", "q"]


class SignatureFilter(django_filters.FilterSet):
    document_id = IdFilter(method="filter_document", label="Document id")
    resource_type = django_filters.CharFilter(field_name="resource_type")
    resource_id = IdFilter(field_name="resource_id")
    signer_id = IdFilter(field_name="signer_id")
    signature_type = django_filters.ChoiceFilter(field_name="signature_type", choices=SignatureType.choices)
    date_from = DateBoundFilter(field_name="signed_at")
    date_to = DateBoundFilter(field_name="signed_at", upper=True)

    class Meta:
        model = Signature
        fields = ["document_id", "resource_type", "resource_id", "signer_id", "signature_type", "date_from", "date_to"]

    def filter_document(self, queryset, name, value):
        return queryset.filter(resource_type="document", resource_id=value)


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
