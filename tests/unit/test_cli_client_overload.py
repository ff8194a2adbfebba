"""The CLI honours an overload refusal (503 + Retry-After): sends the request again, files rewound."""

from __future__ import annotations

import io

import httpx
import pytest

from fleetgate.cli import client as cli_client
from fleetgate.cli.client import ApiError, Client


def _client(answers: list[httpx.Response], seen: list[bytes], waits: list[float]) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        return answers.pop(0)

    c = Client(server="http://fleetgate.test", token="t")
    c.http = httpx.Client(base_url=c.server, transport=httpx.MockTransport(handler))
    c.sleep = waits.append  # type: ignore[method-assign,assignment]
    return c


def _busy(retry_after: str | None = "2") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return httpx.Response(503, json={"code": "overloaded", "detail": "busy"}, headers=headers)


def test_a_refused_upload_is_sent_again_with_the_whole_file() -> None:
    seen: list[bytes] = []
    waits: list[float] = []
    c = _client([_busy(), httpx.Response(201, json={"ok": True})], seen, waits)
    stream = io.BytesIO(b"evidence-bytes")
    response = c.request("POST", "/api/v1/evidence/", data={"kind": "sbom"}, files={"file": ("a.json", stream)})
    assert response.status_code == 201
    assert waits == [2.0]
    assert len(seen) == 2
    assert all(b"evidence-bytes" in body for body in seen)


def test_it_gives_up_after_its_retries_with_the_servers_problem_and_a_next_step() -> None:
    seen: list[bytes] = []
    waits: list[float] = []
    c = _client([_busy("120") for _ in range(cli_client.OVERLOAD_RETRIES + 1)], seen, waits)
    with pytest.raises(ApiError) as raised:
        c.request("GET", "/api/v1/intents/")
    assert raised.value.status == 503
    assert waits == [cli_client.OVERLOAD_MAX_WAIT_S] * cli_client.OVERLOAD_RETRIES  # capped
    assert "Next:" in raised.value.render()


@pytest.mark.parametrize("answer", [_busy(None), httpx.Response(429, json={}, headers={"Retry-After": "5"})])
def test_no_retry_without_retry_after_or_for_a_throttle(answer: httpx.Response) -> None:
    seen: list[bytes] = []
    waits: list[float] = []
    with pytest.raises(ApiError):
        _client([answer], seen, waits).request("GET", "/x")
    assert len(seen) == 1
    assert waits == []


def test_an_unseekable_upload_is_not_sent_twice() -> None:
    class OneShot(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            return 0

    seen: list[bytes] = []
    with pytest.raises(ApiError):
        _client([_busy()], seen, []).request("POST", "/x", files={"file": ("a", OneShot())})
    assert len(seen) == 1
