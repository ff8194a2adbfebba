"""gunicorn settings for `fleetgate up` (`gunicorn -c python:fleetgate.api.gunicorn_conf`).

gunicorn answers some requests itself, before Django sees them, with an HTML page: a request line over
its limit (414), too many or too long header fields (431), a malformed request line, raw control bytes
in a header, a bad chunked body (400). Two things keep every answer an API client sees problem+json:
- the limits are as high as gunicorn allows for the request line (8190 bytes), so a long URL reaches
  Django and gets its ordinary problem (e.g. 404 naming the path) with a correlation id;
- what gunicorn still refuses is written by `write_problem` below instead of gunicorn's HTML page. These
  responses carry a fresh correlation id (no request was read, so none could be accepted from the client).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from gunicorn import util

CONTENT_TYPE = "application/problem+json"

limit_request_line = 8190  # gunicorn's maximum; 0 ("unlimited") is capped to the same
limit_request_fields = 100
limit_request_field_size = 8190

_CODES = {
    400: "malformed-request",
    403: "forbidden",
    414: "uri-too-long",
    417: "expectation-failed",
    431: "header-fields-too-large",
    500: "internal-error",
    501: "not-implemented",
}
_HINTS = {
    414: "The request line is over 8190 bytes; send long filters in a request body, or fewer of them.",
    431: "Too many header fields or one over 8190 bytes; send fewer or shorter headers.",
    400: "The HTTP request is malformed (request line, header syntax, control bytes or chunked body).",
}


def problem_bytes(status: int, reason: str, message: str) -> bytes:
    body = json.dumps(
        {
            "type": "urn:fleetgate:problem:" + _CODES.get(status, "http-error"),
            "title": reason,
            "status": status,
            "detail": f"{_HINTS.get(status, reason + '.')} ({message})" if message else _HINTS.get(status, reason),
            "code": _CODES.get(status, "http-error"),
            "correlation_id": str(uuid.uuid4()),
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {CONTENT_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    return head + body


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, problem_bytes(int(status_int), reason, mesg))


# gunicorn's workers call util.write_error for every error they answer themselves. The master loads this
# module before forking, so every worker inherits the replacement.
util.write_error = write_problem
