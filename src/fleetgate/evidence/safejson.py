"""The one JSON loading step every evidence parser (and the offline pack verifier) goes through.

`json.loads` alone turns hostile files into crashes: nesting a thousand deep is a RecursionError
(here, or later in a schema validator), an integer of thousands of digits a ValueError, and NaN,
Infinity or 1e400 become floats that compare as any severity. This loader refuses all three with
the JSON path where they occur, so a caller can always answer with a problem naming the field.
Pure: no Django, no database."""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64  # real SBOMs and scan reports nest < 20 deep; CycloneDX components 10 at most in practice
MAX_INT = 2**53 - 1  # I-JSON: what every JSON reader, and RFC 8785 sealing, represents exactly
MAX_ISSUES = 100

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_PAIR = re.compile(r"\[\]|\{\}")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]')
_SCAN_BUDGET = 5_000_000  # tokens the slow path reads to locate the too-deep value


class UnsafeJson(ValueError):
    """The document cannot be loaded safely; `issues` are (JSON path, rule, message) triples."""

    def __init__(self, issues: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m} [{r}]" for p, r, m in issues))
        self.issues = issues


class _Refused:
    """Stands in for a number json.loads met but Fleetgate will not accept; located after the parse."""

    __slots__ = ("message", "rule")

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text, refusing nesting deeper than `max_depth`, integers beyond ±(2^53 - 1)
    and non-finite numbers (NaN, Infinity, overflowing exponents). Raises UnsafeJson."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeJson([("$", "utf-8", f"Byte {exc.start} is not UTF-8; JSON files must be UTF-8.")]) from None
    else:
        text = raw
    if _too_deep(text, max_depth):
        raise UnsafeJson([(_deep_path(text, max_depth), "max-depth", _depth_message(max_depth))])
    refused: list[_Refused] = []

    def refuse(rule: str, message: str) -> _Refused:
        marker = _Refused(rule, message)
        refused.append(marker)
        return marker

    def parse_int(token: str) -> int | _Refused:
        digits = len(token.lstrip("-"))
        if digits > 16 or abs(value := int(token)) > MAX_INT:
            return refuse("max-integer", f"An integer of {digits} digits; at most ±{MAX_INT} (I-JSON) is accepted.")
        return value

    def parse_float(token: str) -> float | _Refused:
        value = float(token)
        if not math.isfinite(value):
            return refuse("finite-number", f"{token[:40]} is outside the range of a number.")
        return value

    def parse_constant(token: str) -> _Refused:
        return refuse("finite-number", f"{token} is not a number; JSON has no NaN or Infinity.")

    try:
        document = json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except RecursionError:
        raise UnsafeJson([("$", "max-depth", _depth_message(max_depth))]) from None
    except json.JSONDecodeError as exc:
        raise UnsafeJson([("$", "json", f"Line {exc.lineno} column {exc.colno}: {exc.msg}.")]) from None
    if refused:
        raise UnsafeJson(_locate(document))
    return document


def _depth_message(max_depth: int) -> str:
    return f"Nested more than {max_depth} levels deep; no evidence format needs that."


def _too_deep(text: str, max_depth: int) -> bool:
    """Fast check in C-speed passes: drop strings and everything but brackets, then peel innermost
    pairs once per level. A balanced document of depth d is empty after d passes."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(max_depth):
        peeled = _PAIR.sub("", brackets)
        if peeled == brackets:
            return False  # empty, or unbalanced: json.loads reports the syntax error
        brackets = peeled
    return _PAIR.search(brackets) is not None


def _deep_path(text: str, max_depth: int) -> str:
    """The JSON path of the first value nested past `max_depth` (slow path, only for refused files)."""
    frames: list[list[Any]] = []  # [kind, key or index, expecting_key]
    for count, match in enumerate(_TOKEN.finditer(text)):
        if count > _SCAN_BUDGET:
            break
        token = match.group()
        if token in "{[":
            frames.append(["obj", None, True] if token == "{" else ["arr", 0, False])
            if len(frames) > max_depth:
                return _path(frames[:-1])
        elif token in "}]":
            if frames:
                frames.pop()
        elif token == ",":
            if frames and frames[-1][0] == "arr":
                frames[-1][1] += 1
            elif frames:
                frames[-1][2] = True
        elif token == ":":
            continue
        elif frames and frames[-1][0] == "obj" and frames[-1][2]:
            try:
                frames[-1][1] = json.loads(token)
            except ValueError:
                frames[-1][1] = token.strip('"')
            frames[-1][2] = False
    return "$"


def _path(frames: list[list[Any]]) -> str:
    out = "$"
    for kind, key, _ in frames:
        out += f"[{key}]" if kind == "arr" else f".{str(key)[:64]}"
    return out


def _locate(document: Any) -> list[tuple[str, str, str]]:
    """Every refused number with its path, in document order (iterative: the depth is bounded anyway)."""
    issues: list[tuple[str, str, str]] = []
    stack: list[tuple[str, Any]] = [("$", document)]
    while stack and len(issues) < MAX_ISSUES:
        path, value = stack.pop()
        if isinstance(value, _Refused):
            issues.append((path, value.rule, value.message))
        elif isinstance(value, dict):
            stack.extend((f"{path}.{str(k)[:64]}", v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return issues
