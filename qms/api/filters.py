"""Query-string filters for every list endpoint (django-filter), validated before any query runs.

    class DocumentFilter(django_filters.FilterSet):
        owner = IdFilter(field_name="owner_id")
        date_from = DateTimeBoundFilter(field_name="created_at")
        date_to = DateTimeBoundFilter(field_name="created_at", upper=True)

`QueryFilterBackend` is the project's default filter backend: an invalid value is a 422 with
loc ["query", <name>], never a database error. Date and date-time values are checked against what
PostgreSQL can store (years 1–9999, UTC offsets within ±15:59), ids against a 64-bit integer.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from .exceptions import RequestValidationError

MAX_ID = 2**63 - 1
# PostgreSQL accepts UTC offsets up to 15:59 (Python up to 23:59).
MAX_UTC_OFFSET = datetime.timedelta(hours=15, minutes=59)


def _in_database_range(value: datetime.datetime) -> bool:
    """Whether `value` (aware) is a timestamp the database can compare with: offset and UTC year in range."""
    offset = value.utcoffset() or datetime.timedelta(0)
    if abs(offset) > MAX_UTC_OFFSET:
        return False
    try:
        value.astimezone(datetime.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is in year 0 in UTC
        return False
    return True


class DateOrDateTimeField(forms.Field):
    """Accepts `2025-03-01` or an ISO 8601 date-time (`2025-03-01T10:00:00Z`, `…+02:00`); a date-time
    without an offset is UTC."""

    default_error_messages = {
        "invalid": "Enter a date (YYYY-MM-DD) or an ISO 8601 date-time.",
        "out_of_range": "Enter a date between 0001-01-01 and 9999-12-31 with a UTC offset within ±15:59.",
    }

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
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
        if not _in_database_range(parsed):
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return parsed


class DateTimeBoundFilter(django_filters.Filter):
    """`date_from` includes the given moment (a date: its start, UTC); `date_to` (upper=True)
    includes the given moment or the whole given day."""

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
            if value == datetime.date.max:
                return qs  # the end of 9999-12-31 bounds nothing
            return qs.filter(**{f"{self.field_name}__lt": start + datetime.timedelta(days=1)})
        return qs.filter(**{f"{self.field_name}__gte": start})


class IdField(forms.IntegerField):
    """A record id: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    """An integer id (`owner=5`); anything else is a 422, not a decimal or a database error."""

    field_class = IdField


class CommaListFilter(django_filters.CharFilter):
    """`action=login,logout` matches either."""

    def filter(self, qs, value):
        values = [v.strip() for v in (value or "").split(",") if v.strip()]
        return qs.filter(**{f"{self.field_name}__in": values}) if values else qs


class QueryFilterBackend(DjangoFilterBackend):
    """django-filter, with invalid values reported as 422 at loc ["query", name].

    A request that names none of the filter set's parameters is not filtered at all (building
    and validating the filter form costs as much as reading a page), unless the filter set
    changes how filtering works (its own `filter_queryset`, `qs` or form), which then always runs.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _asked_for(filterset_class, request.query_params):
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise RequestValidationError(filterset.errors, location="query")
        return filterset.qs


_FILTERING = ("filter_queryset", "qs", "form", "get_form_class", "is_valid", "errors")


def _asked_for(filterset_class, params) -> bool:
    """Whether filtering can change anything: a parameter names one of the filters (or starts like
    one: range filters take `<name>_min`, ...), or the filter set filters in its own way."""
    if filterset_class._meta.form is not forms.Form or any(
        getattr(filterset_class, name) is not getattr(django_filters.FilterSet, name) for name in _FILTERING
    ):
        return True
    return any(param.startswith(name) for param in params for name in filterset_class.base_filters)


def validated_filterset(filterset_class, request, queryset):
    """A bound, valid filter set for endpoints that filter outside the list flow (exports); 422 otherwise."""
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise RequestValidationError(filterset.errors, location="query")
    return filterset
