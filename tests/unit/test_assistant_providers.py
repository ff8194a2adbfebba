"""Contract tests: each HTTP provider, through its official SDK, against a local stub speaking that
provider's wire format: plain and streaming answers, error bodies, 429 with Retry-After, the breaker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetgate.assistant.providers import resilience
from fleetgate.assistant.providers.base import CompletionRequest, Message, ProviderRejected, ProviderUnavailable
from fleetgate.assistant.providers.remote import AnthropicProvider, OpenAIProvider, RemoteSettings
from tests.fixtures.assistant.stubs import Script, stub_server

REQUEST = CompletionRequest(
    feature="ask", messages=[Message("system", "Be brief."), Message("user", "Why [HOST-1]?")], facts={"never": "sent"}
)


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    waits: list[float] = []
    monkeypatch.setattr(resilience, "sleep", waits.append)
    resilience.reset_breakers()
    yield waits
    resilience.reset_breakers()


def _provider(kind: str, base: str, retries: int = 2) -> OpenAIProvider | AnthropicProvider:
    settings = RemoteSettings(
        name=f"stub-{kind}",
        revision=1,
        base_url=base if kind == "openai" else base.removesuffix("/v1"),
        api_key="sk-test-key",
        model="stub-model",
        parameters={"temperature": 0, "max_tokens": 200},
        timeout_s=5,
        max_retries=retries,
    )
    return OpenAIProvider(settings) if kind == "openai" else AnthropicProvider(settings)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_plain_answer_and_token_use(kind: str) -> None:
    with stub_server() as (base, script):
        result = _provider(kind, base).complete(REQUEST)
    assert result.text == script.text
    assert result.model == "stub-model"
    assert result.tokens_out == len(script.text.split())
    assert result.tokens_in > 0
    (sent,) = script.requests
    assert "never" not in str(sent["body"])  # facts are for the offline templates only
    if kind == "openai":
        assert sent["path"] == "/v1/chat/completions"
        assert sent["headers"]["authorization"] == "Bearer sk-test-key"
        assert sent["body"]["messages"][0] == {"role": "system", "content": "Be brief."}
        assert sent["body"]["temperature"] == 0
        assert sent["body"]["max_tokens"] == 200
    else:
        assert sent["path"] == "/v1/messages"
        assert "sk-test-key" in (
            sent["headers"].get("x-api-key", ""),
            sent["headers"].get("authorization", "").removeprefix("Bearer "),
        )
        assert sent["body"]["system"] == "Be brief."
        assert sent["body"]["messages"] == [{"role": "user", "content": "Why [HOST-1]?"}]
        assert sent["body"]["max_tokens"] == 200
        assert sent["body"]["temperature"] == 0
        assert "anthropic-version" in sent["headers"]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_streaming_delivers_deltas_in_order(kind: str) -> None:
    deltas: list[str] = []
    with stub_server() as (base, script):
        result = _provider(kind, base).complete(REQUEST, on_delta=deltas.append)
    assert "".join(deltas) == script.text == result.text
    assert len(deltas) > 3
    assert result.tokens_out == len(script.text.split())
    assert script.requests[0]["body"]["stream"] is True


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_429_honours_retry_after_then_succeeds(kind: str, waits: list[float]) -> None:
    with stub_server(Script(failures=[(429, {"retry-after": "7"})])) as (base, script):
        result = _provider(kind, base).complete(REQUEST)
    assert result.text == script.text
    assert len(script.requests) == 2
    assert waits == [7.0]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_rejected_key_is_permanent_with_the_providers_message(kind: str) -> None:
    with stub_server(Script(failures=[(401, {})])) as (base, script), pytest.raises(ProviderRejected) as caught:
        _provider(kind, base).complete(REQUEST)
    assert len(script.requests) == 1  # no retry for a permanent error
    assert ("Incorrect API key" if kind == "openai" else "invalid x-api-key") in caught.value.detail
    assert caught.value.extra["upstream_status"] == 401


@pytest.mark.parametrize(("kind", "status"), [("openai", 500), ("anthropic", 529)])
def test_server_errors_retry_then_the_breaker_opens(kind: str, status: int, waits: list[float]) -> None:
    with stub_server(Script(failures=[(status, {})] * 10)) as (base, script):
        provider = _provider(kind, base, retries=2)
        with pytest.raises(ProviderUnavailable):
            provider.complete(REQUEST)
        assert len(script.requests) == 3
        assert waits == [0.5, 1.0]
        with pytest.raises(ProviderUnavailable):
            provider.complete(REQUEST)  # 5 consecutive failures: the circuit opens on the 5th
        sent = len(script.requests)
        with pytest.raises(ProviderUnavailable) as caught:
            provider.complete(REQUEST)
        assert len(script.requests) == sent == 5  # open: refused without a request
        assert caught.value.extra.get("circuit_open") is True
