"""The assistant's own records: provider configurations (keys sealed with Fernet) and one row per
interaction, enough to reproduce it: prompt as sent, retrieved records, provider, model, parameters,
output and token use."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    OFFLINE = "offline", "Built-in deterministic templates (no network)"
    OPENAI = "openai", "OpenAI-compatible chat completions (OpenAI, Azure OpenAI, vLLM, Ollama)"
    ANTHROPIC = "anthropic", "Anthropic messages"


class Feature(models.TextChoices):
    EXPLAIN_RISK = "explain_risk"
    SUMMARISE_EVIDENCE = "summarise_evidence"
    DRAFT_CAB_NOTE = "draft_cab_note"
    EXPLAIN_RING = "explain_ring"
    ASK = "ask"


DEFAULT_SCRUB_POLICY: dict[str, Any] = {"hostnames": True, "people": True, "host_patterns": []}


class ProviderConfig(models.Model):
    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    base_url = models.URLField(max_length=500, blank=True, default="")
    model = models.CharField(max_length=128, blank=True, default="")
    parameters = models.JSONField(default=dict, blank=True)  # temperature, max_tokens
    secret = models.TextField(blank=True, default="")  # Fernet token of the API key; never returned
    timeout_s = models.FloatField(default=30.0)
    max_retries = models.PositiveSmallIntegerField(default=2)
    daily_token_budget = models.PositiveIntegerField(default=200_000)
    scrub_policy = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=False)  # the one provider features use; none active: offline
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_key(self) -> bool:
        return bool(self.secret)

    def policy(self) -> dict[str, Any]:
        return {**DEFAULT_SCRUB_POLICY, **(self.scrub_policy or {})}

    def snapshot(self) -> dict[str, Any]:
        """What the ledger keeps about a configuration: everything but the key (only whether one is set)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "base_url": self.base_url,
            "model": self.model,
            "parameters": self.parameters,
            "timeout_s": self.timeout_s,
            "max_retries": self.max_retries,
            "daily_token_budget": self.daily_token_budget,
            "scrub_policy": self.policy(),
            "active": self.active,
            "has_key": self.has_key,
            "revision": self.revision,
        }


class Interaction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feature = models.CharField(max_length=32, choices=Feature.choices)
    subject_type = models.CharField(max_length=48, blank=True, default="")
    subject_id = models.CharField(max_length=64, blank=True, default="")
    question = models.TextField(blank=True, default="")
    channel = models.CharField(max_length=8, default="api")  # api | cli | mcp
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor = models.JSONField(default=dict)  # ledger view of who asked
    prompt = models.JSONField(default=list)  # the messages given to the provider (scrubbed when it is remote)
    retrieved = models.JSONField(default=list)  # the records used: type, id, title, link, data
    citations = models.JSONField(default=list)  # type, id, title, link
    draft = models.JSONField(default=dict, blank=True)  # structured draft (CAB note fields)
    provider = models.CharField(max_length=64)
    provider_kind = models.CharField(max_length=16, choices=Kind.choices)
    model = models.CharField(max_length=128, blank=True, default="")
    parameters = models.JSONField(default=dict)
    output = models.TextField(blank=True, default="")
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    scrubbed = models.JSONField(default=dict)  # what the scrubber replaced, by kind (counts only)
    status = models.CharField(max_length=16, default="ok")  # ok | error
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.feature} {self.pk}"

    def snapshot(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "subject": f"{self.subject_type}:{self.subject_id}" if self.subject_type else "",
            "channel": self.channel,
            "provider": self.provider,
            "model": self.model,
            "tokens": self.tokens_in + self.tokens_out,
            "status": self.status,
            "citations": [f"{c['type']}:{c['id']}" for c in self.citations],
        }
