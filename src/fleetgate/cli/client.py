"""The CLI's HTTP client: token auth, correlation ids, problem details turned into next steps."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from fleetgate.config import settings as cfg
from fleetgate.core import correlation

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request is noise in a CLI


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem

    def render(self) -> str:
        p = self.problem
        lines = [f"Error {self.status} ({p.get('code', 'error')}): {p.get('detail') or p.get('title')}"]
        at = p.get("lines") or {}  # a manifest's problems: the line each field is on
        for issue in p.get("errors") or []:
            where = f" (line {at[issue.get('field')]})" if issue.get("field") in at else ""
            lines.append(f"  - {issue.get('field')}{where}: {issue.get('message')} [{issue.get('rule')}]")
        hint = _HINTS.get(self.status)
        if hint:
            lines.append(hint)
        if p.get("correlation_id"):
            lines.append(f"  (correlation id {p['correlation_id']})")
        return "\n".join(lines)


_HINTS = {
    401: "Next: set FLEETGATE_TOKEN (create one with `fleetgate token create --user NAME --name cli`).",
    403: "Next: ask a Platform Admin for the role or scope this needs.",
    409: "Next: check the object's current state with `fleetgate intent show`.",
    412: "Next: someone changed it meanwhile; run the command again to work from the latest version.",
    429: "Next: wait for the Retry-After period and retry.",
    503: "Next: the server is overloaded; run the command again in a minute, or ask its operator to add capacity.",
}
OVERLOAD_RETRIES = 3  # a 503 with Retry-After was refused before any work ran: sending it again is safe
OVERLOAD_MAX_WAIT_S = 30.0


class Client:
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, server: str | None = None, token: str | None = None) -> None:
        self.server = (server or cfg.server_url).rstrip("/")
        self.token = token if token is not None else cfg.token
        headers = {correlation.HEADER: correlation.current(), "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.http = httpx.Client(base_url=self.server, headers=headers, timeout=TIMEOUT)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(OVERLOAD_RETRIES + 1):
            response = self._send(method, path, **kwargs)
            wait = _retry_after(response)
            if response.status_code != 503 or wait is None or attempt == OVERLOAD_RETRIES or not _rewound(kwargs):
                break
            print(
                f"The server is busy; trying again in {wait:.0f} s ({attempt + 1}/{OVERLOAD_RETRIES}).", file=sys.stderr
            )
            self.sleep(wait)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:500]}
            raise ApiError(response.status_code, problem)
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(
                0,
                {
                    "code": "unreachable",
                    "detail": (
                        f"Cannot reach {self.server} ({exc.__class__.__name__}). "
                        "Next: start it with `make run`, or point --server / FLEETGATE_SERVER at it."
                    ),
                },
            ) from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None}).json()

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        response = self.request("POST", path, json=json, headers=headers or {})
        return response.json() if response.content else None

    def patch(self, path: str, json: Any, etag: str) -> Any:
        return self.request("PATCH", path, json=json, headers={"If-Match": etag}).json()

    def paged(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.request("GET", page["next"]).json()


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds a refusal asks the client to wait (RFC 9110 delay-seconds), capped; None when absent."""
    try:
        wait = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(wait, OVERLOAD_MAX_WAIT_S) if wait > 0 else None


def _rewound(kwargs: dict[str, Any]) -> bool:
    """Rewind the uploaded files of a request about to be sent again; False when one cannot be rewound."""
    for part in (kwargs.get("files") or {}).values():
        stream = part[1] if isinstance(part, tuple) else part
        if hasattr(stream, "read"):
            if not (hasattr(stream, "seekable") and stream.seekable()):
                return False
            stream.seek(0)
    return True
