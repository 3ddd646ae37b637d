"""The list envelope: {"items", "page", "page_size", "total", "pages"}."""

import math

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .exceptions import RequestValidationError


class EnvelopePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_query_param = "page"

    def paginate_queryset(self, queryset, request, view=None):
        for name, minimum in (("page", 1), ("page_size", 1)):
            raw = request.query_params.get(name)
            if raw is None:
                continue
            try:
                value = int(raw)
            except ValueError:
                raise RequestValidationError({name: [f"{name} must be an integer."]})
            if value < minimum:
                raise RequestValidationError({name: [f"{name} must be at least {minimum}."]})
            if name == "page_size" and value > self.max_page_size:
                raise RequestValidationError({name: [f"page_size must be at most {self.max_page_size}."]})
        self.request = request
        page_size = self.get_page_size(request)
        self.page_size_used = page_size
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = int(request.query_params.get(self.page_query_param, 1))
        self.total = paginator.count
        self.page_number = page_number
        if page_number > paginator.num_pages:
            # Past the last page: an empty page with the real totals, not an error.
            return []
        return list(paginator.page(page_number))

    def get_paginated_response(self, data):
        return Response(
            {
                "items": data,
                "page": self.page_number,
                "page_size": self.page_size_used,
                "total": self.total,
                "pages": math.ceil(self.total / self.page_size_used) if self.total else 0,
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number (1-based); a page past the end is empty.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page (at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": self.page_size},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["items", "page", "page_size", "total", "pages"],
            "properties": {
                "items": schema,
                "page": {"type": "integer", "minimum": 1, "example": 1},
                "page_size": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "example": 20},
                "total": {"type": "integer", "minimum": 0, "example": 123},
                "pages": {"type": "integer", "minimum": 0, "example": 7},
            },
        }
