"""JSON responses rendered with orjson (issue 16: 3-12 % of a read went to the standard library's encoder).

The bytes are DRF's JSONRenderer's, so no client can tell: compact separators, UTF-8 rather than \\u
escapes, and DRF's JSONEncoder for everything orjson does not write the same way itself. Datetimes
are handed to that encoder (`OPT_PASSTHROUGH_DATETIME`), because DRF writes UTC as `Z` and cuts
microseconds to milliseconds where orjson would write `+00:00` and six digits; decimals, lazy
translations, durations and query sets go the same way. Keys that are not strings (an integer
count by state) are written as strings, as `json.dumps` does. U+2028 and U+2029 are escaped as
DRF escapes them (JavaScript before ES2019 read them as line ends inside a string).
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_DRF = JSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _fallback(value: Any) -> Any:
    return _DRF.default(value)


def dumps(data: Any) -> bytes:
    """`data` as DRF's JSONRenderer would write it, in one pass of orjson."""
    rendered = orjson.dumps(data, default=_fallback, option=_OPTIONS)
    if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:  # UTF-8 of U+2028, U+2029: no other
        rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return rendered


class FastJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)  # `; indent=` asked for
        return dumps(data)
