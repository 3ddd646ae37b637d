"""Reading a write request: its body validated by a serializer, the row_version the client read
(from the body or an If-Match header) that services check for concurrent edits, and the reason
for a change given with a request that has no body (DELETE)."""

from drf_spectacular.utils import OpenApiParameter

REASON_QUERY_PARAMETER = OpenApiParameter(
    "reason",
    str,
    required=False,
    description="Why (recorded in the audit trail). Give it here or as `reason` in a JSON body.",
)


def validated(serializer_class, request, **kwargs) -> dict:
    """The request body validated by `serializer_class` (a 422 when invalid), as a dict of its own."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def if_match_version(request) -> int | None:
    """The row_version in an If-Match header ("3", W/"3" or 3), if any."""
    raw = (request.headers.get("If-Match") or "").strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    raw = raw.strip('"')
    return int(raw) if raw.isdigit() else None


def pop_reason_and_row_version(data: dict, request) -> tuple[str, int | None]:
    """Takes `reason` (default "") and `row_version` out of validated update data; without a
    row_version in the body, the If-Match header's is used."""
    reason = data.pop("reason", "")
    row_version = data.pop("row_version", None) or if_match_version(request)
    return reason, row_version


def reason_from(request) -> str:
    """A DELETE's reason: from the JSON body or, since many clients send no body with DELETE, ?reason=."""
    body = request.data.get("reason", "") if hasattr(request.data, "get") else ""
    return str(body or request.query_params.get("reason", ""))
