"""The list envelope: {"items", "page", "page_size", "total", "pages"}.

A page is read with LIMIT/OFFSET; the total needs a COUNT only when the page does not tell it (a
full page, or one past the end): short lists and last pages cost one query less. Lists served by
`qms.api.lists` read the total with the page, in the same query."""

import math

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .exceptions import RequestValidationError


class EnvelopePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_query_param = "page"

    def page_request(self, request) -> tuple[int, int]:
        """The page number and page size the request asks for (422 when they are not integers in range)."""
        values = {"page": 1, "page_size": self.page_size}
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
            values[name] = value
        self.request = request
        return values["page"], values["page_size"]

    def set_page(self, queryset, *, page: int, page_size: int, rows: int, total: int | None = None) -> None:
        """Records the page that was read (`rows` rows of `queryset` from page `page`) and the total:
        `total` when the caller read it with the page, else what a page that is neither full nor past
        the end tells, otherwise the rows are counted."""
        offset = (page - 1) * page_size
        if total is not None:
            self.total = total
        elif 0 < rows < page_size or (page == 1 and rows == 0):
            self.total = offset + rows
        else:
            self.total = queryset.count()
        self.page_number = page
        self.page_size_used = page_size

    def paginate_queryset(self, queryset, request, view=None):
        page, page_size = self.page_request(request)
        offset = (page - 1) * page_size
        rows = list(queryset[offset : offset + page_size])
        self.set_page(queryset, page=page, page_size=page_size, rows=len(rows))
        return rows

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
