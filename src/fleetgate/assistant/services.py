"""The assistant's only writes: its provider configurations and its interaction records. It never
calls another domain's services; the ledger (audit.record) is how every domain records its writes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from fleetgate.assistant.models import Interaction, Kind, ProviderConfig
from fleetgate.audit import services as audit
from fleetgate.core import permissions, secrets
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, FieldIssue, NotFound, ValidationFailed

PROVIDER = "assistant_provider"
INTERACTION = "assistant_interaction"
EDITABLE = (
    "base_url",
    "model",
    "parameters",
    "timeout_s",
    "max_retries",
    "daily_token_budget",
    "scrub_policy",
    "active",
)
PARAMETERS = {"temperature", "max_tokens", "top_p", "seed"}
POLICY_KEYS = {"hostnames", "people", "host_patterns"}


def _validate(row: ProviderConfig) -> None:
    issues: list[FieldIssue] = []
    if row.kind not in Kind.values:
        issues.append(FieldIssue("kind", "choice", f"Use one of: {', '.join(Kind.values)}."))
    if row.kind != Kind.OFFLINE:
        parts = urlsplit(row.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            issues.append(FieldIssue("base_url", "required", "An HTTP provider needs its base URL (http or https)."))
        if not row.model:
            issues.append(FieldIssue("model", "required", "Name the model to use."))
    unknown = sorted(set(row.parameters) - PARAMETERS)
    if unknown:
        issues.append(
            FieldIssue("parameters", "unknown", f"Unknown parameters {unknown}; allowed: {sorted(PARAMETERS)}.")
        )
    if set(row.scrub_policy) - POLICY_KEYS:
        issues.append(FieldIssue("scrub_policy", "unknown", f"Allowed keys: {sorted(POLICY_KEYS)}."))
    if not 1 <= row.timeout_s <= 600:
        issues.append(FieldIssue("timeout_s", "range", "Between 1 and 600 seconds."))
    if row.max_retries > 5:
        issues.append(FieldIssue("max_retries", "range", "At most 5."))
    if issues:
        raise ValidationFailed("The provider configuration is not valid.", errors=issues)


def _only_active(row: ProviderConfig, actor: Actor) -> None:
    if not row.active:
        return
    for other in ProviderConfig.objects.select_for_update().filter(active=True).exclude(pk=row.pk):
        before = other.snapshot()
        other.active, other.revision, other.updated_at = False, other.revision + 1, timezone.now()
        other.save(update_fields=["active", "revision", "updated_at"])
        audit.record(
            actor=actor,
            action="assistant.provider.updated",
            subject_type=PROVIDER,
            subject_id=other.name,
            before=before,
            after=other.snapshot(),
            reason=f"{row.name} became the active provider",
        )


def create_provider(*, actor: Actor, data: dict[str, Any]) -> ProviderConfig:
    with transaction.atomic():
        permissions.require(actor, "assistant.provider.configure")
        row = ProviderConfig(name=data["name"], kind=data.get("kind", Kind.OFFLINE))
        for key in EDITABLE:
            if key in data:
                setattr(row, key, data[key])
        if data.get("api_key"):
            row.secret = secrets.encrypt(str(data["api_key"]))
        _validate(row)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            raise Conflict(f"A provider named '{row.name}' exists already.") from None
        _only_active(row, actor)
        audit.record(
            actor=actor,
            action="assistant.provider.created",
            subject_type=PROVIDER,
            subject_id=row.name,
            after=row.snapshot(),
        )
    return row


def update_provider(*, actor: Actor, name: str, data: dict[str, Any]) -> ProviderConfig:
    with transaction.atomic():
        permissions.require(actor, "assistant.provider.configure")
        row = ProviderConfig.objects.select_for_update().filter(name=name).first()
        if row is None:
            raise NotFound(f"No assistant provider named '{name}'.")
        before = row.snapshot()
        for key in EDITABLE:
            if key in data:
                setattr(row, key, data[key])
        key_changed = "api_key" in data
        if key_changed:
            row.secret = secrets.encrypt(str(data["api_key"])) if data["api_key"] else ""
        _validate(row)
        row.revision += 1
        row.updated_at = timezone.now()
        row.save()
        _only_active(row, actor)
        audit.record(
            actor=actor,
            action="assistant.provider.updated",
            subject_type=PROVIDER,
            subject_id=row.name,
            before=before,
            after=row.snapshot(),
            reason="API key replaced" if key_changed else "",
        )
    return row


def delete_provider(*, actor: Actor, name: str) -> None:
    with transaction.atomic():
        permissions.require(actor, "assistant.provider.configure")
        row = ProviderConfig.objects.select_for_update().filter(name=name).first()
        if row is None:
            raise NotFound(f"No assistant provider named '{name}'.")
        before = row.snapshot()
        row.delete()
        audit.record(
            actor=actor, action="assistant.provider.deleted", subject_type=PROVIDER, subject_id=name, before=before
        )


def record_interaction(*, actor: Actor, data: dict[str, Any]) -> Interaction:
    """Keep what reproduces an answer, with a ledger event naming who asked what (every call audited)."""
    with transaction.atomic():
        permissions.require(actor, "assistant.view")
        row = Interaction(
            **data,
            actor=actor.ledger_view(),
            user_id=actor.user_pk,
        )
        row.save(force_insert=True)
        audit.record(
            actor=actor,
            action="assistant.answered" if row.status == "ok" else "assistant.failed",
            subject_type=INTERACTION,
            subject_id=row.pk,
            after=row.snapshot(),
            reason=row.error[:500],
        )
    return row
