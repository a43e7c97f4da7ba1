"""Request body parsers of the API (their own module: DRF's settings import them while casework.api loads)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any record of Casework needs; deeper still, Python's JSON reader or a serializer walking it runs
# out of stack (RecursionError) and the request would end as a server error.
MAX_JSON_DEPTH = 64


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser that refuses (400) a body nested deeper than MAX_JSON_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep_message()) from None
        if _json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(_too_deep_message())
        return data


def _too_deep_message() -> str:
    return _("JSON parse error: the data is nested more than %(limit)s levels deep.") % {"limit": MAX_JSON_DEPTH}


def _json_depth(data) -> int:
    """How deeply lists and objects nest in `data`, counted without recursion."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        pending.extend((child, depth + 1) for child in children)
    return deepest
