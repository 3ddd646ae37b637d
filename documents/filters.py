"""django-filter filter sets for document and template lists."""

import django_filters
from django.db.models import Q

from qms.api.filters import DateTimeBoundFilter, IdFilter

from .models import Document, DocumentTemplate


class DocumentFilter(django_filters.FilterSet):
    document_type = IdFilter(field_name="document_type_id", label="Document type id")
    document_type_code = django_filters.CharFilter(
        field_name="document_type__code", lookup_expr="iexact", label="Type code, e.g. SOP"
    )
    category = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.CharFilter(lookup_expr="iexact", label="Workflow state of the current cycle, e.g. draft, effective")
    owner = IdFilter(field_name="owner_id", label="Owner user id")
    date_from = DateTimeBoundFilter(field_name="created_at", label="Created on or after (YYYY-MM-DD or ISO 8601 date-time, UTC)")
    date_to = DateTimeBoundFilter(
        field_name="created_at", upper=True, label="Created on or before (YYYY-MM-DD: the whole day, or a date-time, UTC)"
    )
    effective_from = django_filters.DateFilter(field_name="effective_date", lookup_expr="gte")
    effective_to = django_filters.DateFilter(field_name="effective_date", lookup_expr="lte")
    has_effective_version = django_filters.BooleanFilter(field_name="effective_version", lookup_expr="isnull", exclude=True)
    search = django_filters.CharFilter(method="filter_search", label="Text in the title or number")

    class Meta:
        model = Document
        fields = ["document_type", "document_type_code", "category", "status", "owner", "date_from", "date_to"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(number__icontains=value))


class DocumentTemplateFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(lookup_expr="iexact")
    document_type = IdFilter(field_name="document_type_id")
    is_active = django_filters.BooleanFilter()
    search = django_filters.CharFilter(method="filter_search", label="Text in the name or description")

    class Meta:
        model = DocumentTemplate
        fields = ["category", "document_type", "is_active"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))
