"""django-filter filter sets for user lists."""

import django_filters
from django.db.models import Q

from qms.api.filters import IdFilter

from .models import User


class UserFilter(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="role__name", lookup_expr="iexact")
    is_active = django_filters.BooleanFilter()
    department = django_filters.CharFilter(lookup_expr="iexact")
    group_id = IdFilter(field_name="groups__id")
    q = django_filters.CharFilter(method="search", label="Text search on username, email and full name")

    class Meta:
        model = User
        fields = ["role", "is_active", "department", "group_id"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(username__icontains=value) | Q(email__icontains=value) | Q(full_name__icontains=value))
