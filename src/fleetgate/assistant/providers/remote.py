"""The HTTP providers, through the official SDKs: OpenAI-compatible chat completions (OpenAI, Azure
OpenAI, vLLM, Ollama) and Anthropic messages. Text reaching here is already scrubbed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anthropic
import openai

from fleetgate.assistant.providers import resilience
from fleetgate.assistant.providers.base import Completion, CompletionRequest, OnDelta, ProviderRejected

DEFAULT_MAX_TOKENS = 1024


@dataclass
class RemoteSettings:
    name: str
    revision: int
    base_url: str
    api_key: str
    model: str
    parameters: dict[str, Any]
    timeout_s: float
    max_retries: int

    @property
    def breaker_key(self) -> str:
        return f"{self.name}@{self.revision}"


class OpenAIProvider:
    kind = "openai"
    remote = True

    def __init__(self, settings: RemoteSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self.client = openai.OpenAI(
            api_key=settings.api_key or "not-needed",  # vLLM and Ollama accept any key
            base_url=settings.base_url or None,
            timeout=settings.timeout_s,
            max_retries=0,  # one retry layer: resilience.call
        )

    def complete(self, request: CompletionRequest, on_delta: OnDelta | None = None) -> Completion:
        s = self.settings
        params = {k: v for k, v in s.parameters.items() if k in ("temperature", "max_tokens", "top_p", "seed")}
        messages: Any = [m.as_dict() for m in request.messages]

        def once() -> Completion:
            if on_delta is None:
                response = self.client.chat.completions.create(model=s.model, messages=messages, **params)
                if not response.choices:
                    raise ProviderRejected("The provider returned no choices.")
                usage = response.usage
                return Completion(
                    text=response.choices[0].message.content or "",
                    model=response.model or s.model,
                    tokens_in=usage.prompt_tokens if usage else 0,
                    tokens_out=usage.completion_tokens if usage else 0,
                )
            stream = self.client.chat.completions.create(
                model=s.model, messages=messages, stream=True, stream_options={"include_usage": True}, **params
            )
            parts: list[str] = []
            tokens_in = tokens_out = 0
            model = s.model
            for chunk in stream:
                model = chunk.model or model
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
                    on_delta(chunk.choices[0].delta.content)
                if chunk.usage:
                    tokens_in, tokens_out = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
            return Completion(text="".join(parts), model=model, tokens_in=tokens_in, tokens_out=tokens_out)

        return resilience.call(s.breaker_key, once, retries=s.max_retries)


class AnthropicProvider:
    kind = "anthropic"
    remote = True

    def __init__(self, settings: RemoteSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self.client = anthropic.Anthropic(
            api_key=settings.api_key or "not-set",
            base_url=settings.base_url or None,
            timeout=settings.timeout_s,
            max_retries=0,
        )

    def complete(self, request: CompletionRequest, on_delta: OnDelta | None = None) -> Completion:
        s = self.settings
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        messages: Any = [m.as_dict() for m in request.messages if m.role != "system"]
        # this SDK release types no sampling parameters; where an installation sets them they go as body fields
        sampling = {k: v for k, v in s.parameters.items() if k in ("temperature", "top_p")}
        params: dict[str, Any] = {"extra_body": sampling} if sampling else {}
        max_tokens = int(s.parameters.get("max_tokens", DEFAULT_MAX_TOKENS))

        def once() -> Completion:
            if on_delta is None:
                message = self.client.messages.create(
                    model=s.model, max_tokens=max_tokens, system=system, messages=messages, **params
                )
            else:
                with self.client.messages.stream(
                    model=s.model, max_tokens=max_tokens, system=system, messages=messages, **params
                ) as stream:
                    for text in stream.text_stream:
                        on_delta(text)
                    message = stream.get_final_message()
            text = "".join(getattr(block, "text", "") for block in message.content)
            return Completion(
                text=text,
                model=message.model or s.model,
                tokens_in=message.usage.input_tokens,
                tokens_out=message.usage.output_tokens,
            )

        return resilience.call(s.breaker_key, once, retries=s.max_retries)
