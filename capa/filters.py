"""Query filters of the CAPA list (API and page). Invalid values are a 422 at loc ["query", <name>]."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from qms.api.filters import CommaListFilter, IdFilter
from qms.api.filters import DateTimeBoundFilter as DateBoundFilter

from . import limits
from .defaults import DONE_STATUSES
from .models import Capa, CapaAction, CapaSource, CapaType
from .selectors import capas_linked_to_deviation


class CapaFilter(django_filters.FilterSet):
    status = CommaListFilter(field_name="status", label="Workflow state, e.g. draft,open,in_progress")
    type = django_filters.ChoiceFilter(field_name="capa_type", choices=CapaType.choices, label="corrective, preventive, both")
    priority = CommaListFilter(field_name="priority", label="low, medium, high, critical (comma-separated)")
    source = django_filters.ChoiceFilter(field_name="source", choices=CapaSource.choices)
    owner = IdFilter(field_name="owner_id", label="Owner user id")
    action_owner = IdFilter(method="filter_action_owner", label="Has an action owned by this user id")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Past the due date and still running")
    deviation = IdFilter(method="filter_deviation", label="Linked to this deviation id (from either side)")
    date_from = DateBoundFilter(field_name="created_at", label="Created from (date or date-time, UTC)")
    date_to = DateBoundFilter(field_name="created_at", upper=True, label="Created until (a date includes the day)")
    due_from = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label="Due on or after")
    due_to = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label="Due on or before")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=limits.SEARCH,
        label="Text in the number, legacy number, title, problem statement, root cause or actions",
    )

    class Meta:
        model = Capa
        fields = ["status", "owner"]

    def filter_overdue(self, queryset, name, value):
        late = Q(due_date__lt=timezone.localdate()) & ~Q(status__in=DONE_STATUSES)
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_deviation(self, queryset, name, value):
        return queryset.filter(capas_linked_to_deviation(value))

    def filter_action_owner(self, queryset, name, value):
        return queryset.filter(Exists(CapaAction.objects.filter(capa=OuterRef("pk"), owner_id=value)))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        in_actions = CapaAction.objects.filter(capa=OuterRef("pk")).filter(
            Q(description__icontains=value) | Q(completion_evidence__icontains=value)
        )
        return queryset.filter(
            Q(number__icontains=value)
            | Q(legacy_number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(root_cause__icontains=value)
            | Exists(in_actions)
        )
