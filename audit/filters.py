"""Filters for audit events and signatures, shared by the API, the exports and the pages.

A record's trail: `resource_type` and `resource_id` match the record itself AND everything whose
subject it is (audit.subjects), so `?resource_type=document&resource_id=7` gives the document's
events, its versions' events and signatures, its approvals. `subject_type`/`subject_id` match the
subject only. Invalid filter values are a 422 with loc ["query", <name>] (QueryFilterBackend).
"""

import datetime
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend

from qms.api.exceptions import RequestValidationError

from .models import AuditEvent, Signature, SignatureType


class DateOrDateTimeField(forms.Field):
    """Accepts `2025-03-01` or an ISO 8601 date-time (`2025-03-01T10:00:00Z`)."""

    default_error_messages = {"invalid": "Enter a date (YYYY-MM-DD) or an ISO 8601 date-time."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value
        text = str(value).strip()
        try:
            if len(text) == 10:
                return datetime.date.fromisoformat(text)
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class DateBoundFilter(django_filters.Filter):
    """`date_from` includes the given moment (a date: its start); `date_to` includes the whole given day."""

    field_class = DateOrDateTimeField

    def __init__(self, *args, upper: bool = False, **kwargs):
        self.upper = upper
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if isinstance(value, datetime.datetime):
            return qs.filter(**{f"{self.field_name}__{'lte' if self.upper else 'gte'}": value})
        start = datetime.datetime.combine(value, datetime.time.min, tzinfo=datetime.UTC)
        if self.upper:
            return qs.filter(**{f"{self.field_name}__lt": start + datetime.timedelta(days=1)})
        return qs.filter(**{f"{self.field_name}__gte": start})


class CommaListFilter(django_filters.CharFilter):
    """`action=login,logout` matches either."""

    def filter(self, qs, value):
        values = [v.strip() for v in (value or "").split(",") if v.strip()]
        return qs.filter(**{f"{self.field_name}__in": values}) if values else qs


class RecordTrailFilterSet(django_filters.FilterSet):
    """`resource_type`/`resource_id` select a record's whole trail: the record or its subject."""

    resource_type = django_filters.CharFilter(method="filter_nothing", label="Record type (the record or its subject)")
    resource_id = django_filters.NumberFilter(method="filter_nothing", label="Record id (the record or its subject)")
    subject_type = django_filters.CharFilter(field_name="subject_type", label="Subject (root record) type")
    subject_id = django_filters.NumberFilter(field_name="subject_id", label="Subject (root record) id")

    def filter_nothing(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        resource_type = self.form.cleaned_data.get("resource_type") or None
        resource_id = self.form.cleaned_data.get("resource_id")
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
    user_id = django_filters.NumberFilter(field_name="actor_id", label="User id (the actor)")
    action = CommaListFilter(field_name="action", label="Action (comma-separated for several)")
    date_from = DateBoundFilter(field_name="timestamp", label="From (date or date-time, UTC)")
    date_to = DateBoundFilter(field_name="timestamp", upper=True, label="To (date or date-time, UTC; a date includes the day)")
    request_id = django_filters.CharFilter(field_name="request_id", label="Request id")
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
            "q",
        ]


class SignatureFilter(RecordTrailFilterSet):
    document_id = django_filters.NumberFilter(method="filter_document", label="Document id (its versions' signatures too)")
    signer_id = django_filters.NumberFilter(field_name="signer_id")
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


class QueryFilterBackend(DjangoFilterBackend):
    """django-filter, with invalid values reported as 422 at loc ["query", name]."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise RequestValidationError(filterset.errors, location="query")
        return filterset.qs
