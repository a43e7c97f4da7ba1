"""The API's JSON, written by orjson."""

import orjson
from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, writing through orjson: the same JSON as DRF's for the same data, several times
    faster for a page of records (DRF's rendering was a tenth of a list request's Python time).

    What orjson would write otherwise than DRF goes through DRF's own encoder: dates and times (DRF writes UTC
    as "Z"), decimals, lazy translations, dataclasses and whatever else DRF turns into JSON. The line and
    paragraph separators are escaped, as DRF does. An indented answer (the browsable API, or an Accept header
    asking for one) is DRF's own. Two differences, neither in any value: a number in exponent form is written
    1e-7 rather than 1e-07, and a NaN or infinite number, which DRF refuses with a server error, as null.
    """

    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        content = orjson.dumps(data, default=self.encoder_class().default, option=self.options)
        return content.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
