"""`sort=created_at desc` (or `-created_at`, or `created_at asc`) on list endpoints.

A view lists the fields clients may sort by in `sort_fields` (name → model lookup, or a list of
names) and its default in `default_sort`. Unknown fields are a 422.
"""

from rest_framework.filters import BaseFilterBackend

from .exceptions import RequestValidationError


def _allowed(view) -> dict[str, str]:
    fields = getattr(view, "sort_fields", None) or {}
    if isinstance(fields, dict):
        return fields
    return {name: name for name in fields}


class SortFilter(BaseFilterBackend):
    param = "sort"

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get(self.param, "").strip()
        allowed = _allowed(view)
        if not raw:
            default = getattr(view, "default_sort", None)
            return queryset.order_by(*default) if default else queryset
        orderings = []
        for clause in raw.split(","):
            parts = clause.split()
            if not parts:
                continue
            field = parts[0]
            direction = parts[1].lower() if len(parts) > 1 else "asc"
            if field.startswith("-"):
                field, direction = field[1:], "desc"
            if field not in allowed or direction not in ("asc", "desc") or len(parts) > 2:
                choices = ", ".join(sorted(allowed)) or "none"
                raise RequestValidationError(
                    {self.param: [f"Cannot sort by {clause.strip()!r}. Use '<field> asc|desc' with one of: {choices}."]}
                )
            lookup = allowed[field]
            orderings.append(f"-{lookup}" if direction == "desc" else lookup)
        orderings.append("-pk" if orderings and orderings[-1].startswith("-") else "pk")
        return queryset.order_by(*orderings)

    def get_schema_operation_parameters(self, view):
        allowed = sorted(_allowed(view))
        if not allowed:
            return []
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": f"Sort order, e.g. `{allowed[0]} desc`. Fields: {', '.join(allowed)}.",
                "schema": {"type": "string"},
            }
        ]
