"""Query filters of the deviation list (API and page). Invalid values are a 422 at
loc ["query", <name>] (audit.filters.QueryFilterBackend)."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from qms.api import limits as api_limits
from qms.api.filters import CommaListFilter, IdFilter
from qms.api.filters import DateTimeBoundFilter as DateBoundFilter

from . import limits
from .models import Deviation, Link, Severity
from .selectors import DONE_STATUSES


class DeviationFilter(django_filters.FilterSet):
    status = CommaListFilter(field_name="status", label="Workflow state, e.g. reported,under_investigation")
    severity = django_filters.CharFilter(method="filter_severity", label="Low, Medium, High or Critical (comma-separated)")
    category = django_filters.CharFilter(method="filter_category", label="Category id or name")
    area = django_filters.CharFilter(method="filter_area", label="Area id or name")
    owner = IdFilter(field_name="owner_id", label="Owner (investigator) user id")
    reported_by = IdFilter(field_name="reported_by_id", label="Reporter user id")
    date_from = DateBoundFilter(field_name="created_at", label="Reported from (date or date-time, UTC)")
    date_to = DateBoundFilter(field_name="created_at", upper=True, label="Reported until (a date includes the day)")
    occurred_from = django_filters.DateFilter(field_name="occurred_at", lookup_expr="gte", label="Occurred on or after")
    occurred_to = django_filters.DateFilter(field_name="occurred_at", lookup_expr="lte", label="Occurred on or before")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Past the due date and still open")
    document = IdFilter(method="filter_document", label="Linked to this document id")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=limits.SEARCH,
        label="Text in the number, legacy number, title, description, product or batch",
    )

    class Meta:
        model = Deviation
        fields = ["status", "owner", "reported_by"]

    def filter_severity(self, queryset, name, value):
        wanted = {v.strip().lower() for v in value.split(",") if v.strip()}
        return queryset.filter(severity__in=[s for s in Severity.values if s.lower() in wanted]) if wanted else queryset

    def filter_category(self, queryset, name, value):
        return _by_id_or_name(queryset, "category", value)

    def filter_area(self, queryset, name, value):
        return _by_id_or_name(queryset, "area", value)

    def filter_overdue(self, queryset, name, value):
        late = Q(due_date__lt=timezone.localdate()) & ~Q(status__in=DONE_STATUSES)
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_document(self, queryset, name, value):
        linked = Link.objects.filter(target_type="document", target_id=value, removed_at__isnull=True)
        return queryset.filter(pk__in=linked.values("deviation_id"))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(legacy_number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(product__icontains=value)
            | Q(batch__icontains=value)
        )


def _by_id_or_name(queryset, relation: str, value: str):
    value = value.strip()
    if value.isdigit():
        pk = int(value)
        return queryset.filter(**{f"{relation}_id": pk}) if pk <= api_limits.MAX_INT else queryset.none()
    return queryset.filter(**{f"{relation}__name__iexact": value})
