"""Request body parsers with limits: a JSON body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is a 413,
one nested deeper than MAX_JSON_DEPTH levels (or otherwise malformed) is a 400 MALFORMED_REQUEST."""

import codecs
import json

from django.conf import settings
from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 64


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"
    error_code = "REQUEST_TOO_LARGE"


def body_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large() -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {body_limit()} bytes.")


def nesting_depth(value) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = body_limit()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large()
        try:
            data = json.loads(codecs.decode(raw, encoding), parse_constant=_no_constants)
        except RecursionError:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}")
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        return data


def _no_constants(name: str):
    # NaN and Infinity are not JSON (and no field of this API can hold them).
    raise ValueError(f"{name} is not valid JSON")
