"""The API's JSON parser: bounded body size and nesting depth.

DRF's ``JSONParser`` reads the whole stream (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only
guards ``request.body``) and Python's decoder recurses once per level: a few kilobytes of
``[[[[...`` raised RecursionError, a 500. No request of this API needs more than a few levels
(``criterion_results``, ``blocks`` lists): deeper or bigger bodies are refused with a 400 in
the API's error shape before any view runs.
"""

import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 20


class BodyTooLarge(exceptions.ParseError):
    default_code = "too_large"


class BodyTooDeep(exceptions.ParseError):
    default_code = "too_deep"


def depth(value) -> int:
    """Nesting depth of decoded JSON (a scalar is 0, ``[]`` is 1), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        max_bytes = getattr(settings, "API_JSON_MAX_BYTES", DEFAULT_MAX_BYTES)
        max_depth = getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        too_large = BodyTooLarge(_("The request body is larger than %(limit)d kB.") % {"limit": max_bytes // 1024})
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        raw = stream.read(max_bytes + 1) if stream is not None else b""
        if len(raw) > max_bytes:
            raise too_large
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        too_deep = BodyTooDeep(_("The JSON is nested more than %(limit)d levels deep.") % {"limit": max_depth})
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            raise too_deep from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
        if depth(data) > max_depth:
            raise too_deep
        return data


def _refuse_constant(name):
    # NaN and Infinity are not JSON (DRF's strict mode refuses them too).
    raise ValueError(f"{name} is not valid JSON")
