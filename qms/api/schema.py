"""drf-spectacular hooks and shared schema components."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from .routers import collection_paths


def normalise_paths(result, generator, request, public):
    """Item and action paths are published without a trailing slash (as the contract writes them);
    collection roots keep theirs (`/api/documents/`). Both forms are accepted by the router."""
    roots = collection_paths()
    paths = {}
    for path, item in result.get("paths", {}).items():
        if path.endswith("/") and path not in roots:
            path = path.rstrip("/")
        paths[path] = item
    result["paths"] = paths
    return result


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(),
        "error_code": serializers.CharField(),
    },
)

ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.ListField(
            child=inline_serializer(
                name="ValidationErrorItem",
                fields={
                    "loc": serializers.ListField(child=serializers.CharField()),
                    "msg": serializers.CharField(),
                    "type": serializers.CharField(),
                },
            )
        ),
        "error_code": serializers.CharField(),
    },
)


def error_responses(*codes: int) -> dict:
    """Standard error responses for extend_schema(responses={...})."""
    descriptions = {
        400: "Malformed request",
        401: "Not authenticated",
        403: "Permission denied",
        404: "Not found",
        409: "State or version conflict",
        413: "Payload too large",
        415: "Unsupported media type",
        422: "Validation error",
        429: "Rate limited",
    }
    out = {}
    for code in codes:
        out[code] = OpenApiResponse(
            ValidationErrorSerializer if code == 422 else ErrorSerializer, description=descriptions.get(code, "")
        )
    return out
