"""JSON request bodies, parsed safely: size, nesting depth and number range are bounded.

DRF reads the stream itself, bypassing Django's size check, and its JSON parser turns only ValueError
into a 400: a body nested ~1,000 deep raised RecursionError (a 500), and integers past 64 bits or a
float of 1e400 parsed fine only to overflow a database column later. Every such body is refused here
with a 400 problem naming the rule, before any view, serializer or service sees it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from fleetgate.core.errors import DomainError, FieldIssue, PayloadTooLarge

MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_INT_DIGITS = 20  # longer literals are refused before Python converts them


class MalformedBody(DomainError):
    status, code, title = 400, "malformed-request", "The request body could not be parsed"


def _refuse(rule: str, message: str) -> MalformedBody:
    return MalformedBody(
        f"{message} Send valid JSON with Content-Type: application/json.",
        errors=[FieldIssue("body", rule, message)],
    )


def _parse_int(literal: str) -> int:
    digits = literal.removeprefix("-")
    if len(digits) > MAX_INT_DIGITS or not INT64_MIN <= (value := int(literal)) <= INT64_MAX:
        raise _refuse("int64", f"The integer {literal[:24]}{'…' if len(literal) > 24 else ''} is outside 64 bits.")
    return value


def _parse_float(literal: str) -> float:
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise _refuse("finite-number", f"The number {literal[:24]} is too large to represent.")
    return value


def _parse_constant(name: str) -> float:
    raise _refuse("finite-number", f"{name} is not JSON; send a number or null.")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Iterative, so a deep value cannot exhaust the stack while being measured."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(raw: bytes, encoding: str = "utf-8") -> Any:
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise _refuse("encoding", f"The body is not valid {encoding} text.") from None
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except RecursionError:
        raise _refuse("max-depth", f"The body nests objects or arrays deeper than {MAX_DEPTH} levels.") from None
    except json.JSONDecodeError as exc:
        raise _refuse("json", f"JSON parse error at line {exc.lineno} column {exc.colno}: {exc.msg}.") from None
    except ValueError as exc:  # e.g. an integer literal longer than Python converts
        raise _refuse("json", f"JSON parse error: {exc}.") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise _refuse("max-depth", f"The body nests objects or arrays deeper than {MAX_DEPTH} levels.")
    return value


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read(limit + 1 if limit is not None else -1)
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(
                f"The request body is over {limit} bytes; send less, or raise FLEETGATE_MAX_BODY_BYTES."
            )
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return loads(raw, encoding)
