"""What every provider takes and returns, and the errors they raise (typed, like connectors')."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fleetgate.core.errors import DomainError


class ProviderUnavailable(DomainError):
    """A transient failure (timeout, 5xx, 429, open circuit): retrying later may work."""

    status, code, title = 503, "assistant-provider-unavailable", "The assistant's model provider is unavailable"

    def __init__(self, detail: str, *, retry_after: float | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.extra = dict(extra)
        self.retry_after = retry_after


class ProviderRejected(DomainError):
    """A permanent failure (bad key, unknown model, invalid request): retrying will not help."""

    status, code, title = 502, "assistant-provider-rejected", "The assistant's model provider refused the request"


class BudgetExhausted(DomainError):
    status, code, title = 429, "assistant-budget-exhausted", "The assistant's daily token budget is used up"


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class CompletionRequest:
    feature: str
    messages: list[Message]
    facts: dict[str, Any]  # for the offline templates only; never sent anywhere
    model: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    tokens_in: int
    tokens_out: int


OnDelta = Callable[[str], None]


class Provider(Protocol):
    name: str
    kind: str
    remote: bool  # True when text leaves the installation (then it is scrubbed first)

    def complete(self, request: CompletionRequest, on_delta: OnDelta | None = None) -> Completion: ...
