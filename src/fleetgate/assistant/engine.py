"""One assistant answer: retrieve (read-only, scoped to the asker), build the prompt, scrub it when it
leaves the installation, check the day's token budget, call the provider, keep the interaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fleetgate.assistant import ask as ask_tool
from fleetgate.assistant import prompts, queries, ring, services, tools
from fleetgate.assistant.models import Interaction, Kind
from fleetgate.assistant.providers.base import (
    BudgetExhausted,
    CompletionRequest,
    Message,
    OnDelta,
    Provider,
)
from fleetgate.assistant.providers.offline import OfflineProvider, cab_fields
from fleetgate.assistant.providers.remote import AnthropicProvider, OpenAIProvider, RemoteSettings
from fleetgate.assistant.scrub import Scrubber
from fleetgate.core import permissions, secrets
from fleetgate.core.actors import Actor
from fleetgate.core.errors import DomainError

RETRIEVERS: dict[str, Callable[..., tools.Retrieval]] = {
    "explain_risk": tools.explain_risk,
    "summarise_evidence": tools.summarise_evidence,
    "draft_cab_note": tools.cab_note,
    "explain_ring": ring.explain_ring,
    "ask": ask_tool.ask,
}
provider_factory: Callable[[Any], Provider] | None = None  # tests may inject


@dataclass
class Answer:
    interaction: Interaction
    text: str  # what the asker sees (placeholders mapped back locally)
    citations: list[dict[str, str]] = field(default_factory=list)
    draft: dict[str, str] = field(default_factory=dict)


def provider_for(config: Any) -> Provider:
    if provider_factory is not None:
        return provider_factory(config)
    if config is None or config.kind == Kind.OFFLINE:
        return OfflineProvider()
    settings = RemoteSettings(
        name=config.name,
        revision=config.revision,
        base_url=config.base_url,
        api_key=secrets.decrypt(config.secret) if config.secret else "",
        model=config.model,
        parameters=dict(config.parameters),
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
    )
    return OpenAIProvider(settings) if config.kind == Kind.OPENAI else AnthropicProvider(settings)


def outbound(retrieval: tools.Retrieval, policy: dict[str, Any]) -> tuple[list[Message], Scrubber]:
    """The messages exactly as they would leave the installation."""
    scrubber = Scrubber.for_policy(policy, devices=retrieval.devices, persons=retrieval.persons)
    messages = [Message(m.role, scrubber.scrub(m.content)) for m in prompts.build(retrieval)]
    return messages, scrubber


def run(feature: str, *, actor: Actor, channel: str = "api", on_delta: OnDelta | None = None, **args: Any) -> Answer:
    permissions.require(actor, "assistant.view")
    retrieval = RETRIEVERS[feature](actor, **args)
    config = queries.active_provider()
    provider = provider_for(config)
    if provider.remote and config is not None:
        messages, scrubber = outbound(retrieval, config.policy())
        _check_budget(config, messages)
    else:
        messages, scrubber = prompts.build(retrieval), Scrubber(hostnames=False, people=False)
    parameters = dict(config.parameters) if config is not None and provider.remote else {}
    request = CompletionRequest(
        feature=feature,
        messages=messages,
        facts=retrieval.facts,
        model=config.model if config and provider.remote else "",
        parameters=parameters,
    )
    record: dict[str, Any] = {
        "feature": feature,
        "subject_type": retrieval.subject_type,
        "subject_id": retrieval.subject_id,
        "question": retrieval.question,
        "channel": channel,
        "prompt": [m.as_dict() for m in messages],
        "retrieved": [r.as_dict() for r in retrieval.records],
        "citations": [r.citation() for r in retrieval.records],
        "provider": provider.name,
        "provider_kind": provider.kind,
        "parameters": parameters,
        "scrubbed": scrubber.report(),
    }
    started = time.monotonic()
    try:
        completion = provider.complete(request, on_delta)
    except DomainError as exc:
        services.record_interaction(
            actor=actor,
            data={
                **record,
                "status": "error",
                "error": exc.detail,
                "model": request.model,
                "duration_ms": _ms(started),
            },
        )
        raise
    text = scrubber.restore(completion.text)
    draft: dict[str, str] = {}
    if feature == "draft_cab_note":
        draft = cab_fields(retrieval.facts) if not provider.remote else prompts.parse_sections(text)
    row = services.record_interaction(
        actor=actor,
        data={
            **record,
            "model": completion.model,
            "output": completion.text,
            "draft": draft,
            "tokens_in": completion.tokens_in,
            "tokens_out": completion.tokens_out,
            "duration_ms": _ms(started),
        },
    )
    return Answer(interaction=row, text=text, citations=record["citations"], draft=draft)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _check_budget(config: Any, messages: list[Message]) -> None:
    used = queries.tokens_used_today(config.name)
    estimate = sum(len(m.content) for m in messages) // 4  # about four characters a token
    if used + estimate > config.daily_token_budget:
        raise BudgetExhausted(
            f"Provider '{config.name}' has used {used} of its {config.daily_token_budget} tokens today; this request "
            f"needs about {estimate} more. Ask a Platform Admin to raise the budget, or use the offline provider.",
            used=used,
            budget=config.daily_token_budget,
        )
