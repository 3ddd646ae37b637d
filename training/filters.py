"""Query filters of the training lists (invalid values: 422 at loc ["query", name])."""

import django_filters
from django.db.models import Q

from qms.api.filters import IdFilter

from .models import (
    Assignment,
    AssignmentStatus,
    Category,
    Level,
    ProgramStatus,
    Registration,
    RegistrationStatus,
    TrainingProgram,
)


class ProgramFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    status = django_filters.ChoiceFilter(choices=ProgramStatus.choices)
    instructor_id = IdFilter(field_name="instructor_id", label="Instructor user id")
    document_id = IdFilter(field_name="linked_documents", label="Linked document id")
    search = django_filters.CharFilter(method="filter_search", label="Text in the title or description")

    class Meta:
        model = TrainingProgram
        fields = ["category", "level", "status", "instructor_id", "document_id", "search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)) if value else queryset


class AssignmentFilter(django_filters.FilterSet):
    user_id = IdFilter(field_name="user_id", label="Assigned user id")
    training_id = IdFilter(field_name="program_id", label="Program id")
    group_id = IdFilter(field_name="user__groups", label="Members of this group")
    status = django_filters.ChoiceFilter(choices=AssignmentStatus.choices)
    document_id = IdFilter(field_name="document_version__document_id", label="Document id (read-and-understood)")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label="Due on or before (YYYY-MM-DD)")

    class Meta:
        model = Assignment
        fields = ["user_id", "training_id", "group_id", "status", "document_id", "due_before"]


class RegistrationFilter(django_filters.FilterSet):
    user_id = IdFilter(field_name="user_id")
    training_id = IdFilter(field_name="program_id")
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices)

    class Meta:
        model = Registration
        fields = ["user_id", "training_id", "status"]
