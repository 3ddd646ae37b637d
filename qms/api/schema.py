"""drf-spectacular hooks and shared schema components."""

from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
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


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class LocItemField(serializers.Field):
    """One step of an error location: "body"/"query", a field name, or a list index."""


ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.ListField(
            child=inline_serializer(
                name="ValidationErrorItem",
                fields={
                    "loc": serializers.ListField(child=LocItemField(), help_text='Where: ["body" or "query", field, index, …]'),
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


# Error responses every operation can give, by what it has (added to the schema by document_errors):
#   a request body: 400 (malformed JSON, nested too deep), 413 (larger than DATA_UPLOAD_MAX_MEMORY_SIZE),
#                   415 (a content type the operation does not take), 422 (validation);
#   query parameters: 422;   path parameters: 404 (no such record);
#   authentication:  401, 403 (missing permission), 429 (rate limited).
_ERROR_DESCRIPTIONS = {
    "400": "Malformed request (error_code MALFORMED_REQUEST)",
    "401": "Not authenticated, or the token is invalid or revoked",
    "403": "Permission denied (error_code PERMISSION_DENIED; PASSWORD_CHANGE_REQUIRED until a due password change is made)",
    "404": "Not found (error_code NOT_FOUND)",
    "413": "Request body too large (error_code REQUEST_TOO_LARGE)",
    "415": "Unsupported media type (error_code UNSUPPORTED_MEDIA_TYPE)",
    "422": "Validation error (error_code VALIDATION_ERROR)",
    "429": "Rate limited (error_code RATE_LIMITED, Retry-After header)",
}


def _error_response(code: str) -> dict:
    component = "ValidationError" if code == "422" else "Error"
    return {
        "description": _ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def document_errors(result, generator, request, public):
    """Adds to every operation the error responses the shared plumbing can give it, so clients (and
    the schemathesis test) can rely on the documented status codes being complete."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = operation.get("parameters", [])
            codes = set()
            if "requestBody" in operation:
                codes |= {"400", "413", "415", "422"}
            if any(p.get("in") == "query" for p in parameters):
                codes.add("422")
            if any(p.get("in") == "path" for p in parameters):
                codes.add("404")
            if any("jwtAuth" in requirement for requirement in operation.get("security", [])):
                codes |= {"401", "403", "429"}
            for code in sorted(codes):
                operation["responses"].setdefault(code, _error_response(code))
    return result
