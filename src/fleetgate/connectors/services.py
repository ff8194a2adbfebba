"""Every write of the connectors domain: configure instances, check them, and act on planes
through the durable idempotency store.

Acting on a plane is three steps, never one transaction (a plane call must not hold row locks):
1. record (connector, operation, key) → pending, committed before the call;
2. call the plane (outside any transaction);
3. record the external id and result, with the ledger event, in one transaction.
A retry or a restarted worker finds the record: succeeded → reuse the result; pending (a crash
or a timeout between 1 and 3) → look the object up on the plane by the correlation marker the
connector wrote into it, and only call again when the plane has nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.connectors import debian, metrics, sessions, vault
from fleetgate.connectors.base import (
    AppRef,
    Artifact,
    Connector,
    ConnectorConfig,
    IntentRef,
    InventoryItem,
    ObserveResult,
    OperationResult,
    RingGroup,
    Runtime,
)
from fleetgate.connectors.breaker import BreakerState, CircuitBreaker
from fleetgate.connectors.errors import CircuitOpen, ConnectorError, PolicyViolation, Transient
from fleetgate.connectors.models import ConnectorInstance, Health, IdempotencyRecord
from fleetgate.connectors.registry import KINDS
from fleetgate.connectors.sessions import session as session  # one client per instance for a run of calls
from fleetgate.core import permissions
from fleetgate.core.actors import Actor, service
from fleetgate.core.errors import (
    Conflict,
    NotFound,
    PlanePolicyViolation,
    PlaneRejected,
    PlaneUnavailable,
    PreconditionFailed,
)
from fleetgate.core.lookups import locked
from fleetgate.core.validation import Issues

SUBJECT = "connector"
RUNNER = service("connector-runner", frozenset({"connector.execute"}))  # the rollout engine's identity
EDITABLE = ("base_url", "settings", "platforms", "boundaries", "enabled", "dry_run")
PLATFORMS = ("windows", "macos", "linux", "ios", "android")
LOOKUP_TRIES = 3  # reads to wait out a plane's eventual consistency before concluding "absent"
T = TypeVar("T")


def _runtime() -> Runtime:
    return Runtime(on_attempt=metrics.call)


runtime_factory: Callable[[], Runtime] = _runtime  # tests inject a no-wait sleep and a fake clock
after_plane_call: Callable[[str], None] = lambda operation: None  # noqa: E731  (tests crash here)


# --------------------------------------------------------------------------------------------
# Configuration


def _validate(data: dict[str, Any], kind: str, *, creating: bool) -> None:
    issues = Issues()
    if creating and kind not in KINDS:
        issues.add("kind", "choice", f"'{kind}' is not one of: {', '.join(KINDS)}.")
    if "base_url" in data:
        parts = urlsplit(str(data["base_url"]))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            issues.add("base_url", "url", "Give the plane's base URL, e.g. https://graph.microsoft.com.")
    for name in ("platforms", "boundaries"):
        value = data.get(name)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)):
            issues.add(name, "type", f"{name} is a list of names.")
    for platform in data.get("platforms") or []:
        if isinstance(platform, str) and platform not in PLATFORMS:
            issues.add("platforms", "choice", f"'{platform}' is not one of: {', '.join(PLATFORMS)}.")
    cls = KINDS.get(kind)
    if cls is not None:
        settings = data.get("settings")
        if settings is not None and not isinstance(settings, dict):
            issues.add("settings", "type", "settings is an object of plane settings.")
        elif creating or settings is not None:
            for name, allowed in cls.setting_choices.items():
                value = (settings or {}).get(name)
                if value is not None and value not in allowed:
                    issues.add(f"settings.{name}", "choice", f"'{value}' is not one of: {', '.join(allowed)}.")
            for name in cls.required_for(settings or {})[0]:
                if not str((settings or {}).get(name, "")).strip():
                    issues.add(f"settings.{name}", "required", f"A {cls.label} connector needs settings.{name}.")
        secrets = data.get("secrets")
        if creating:
            for name in cls.required_for(settings if isinstance(settings, dict) else {})[1]:
                if not str((secrets or {}).get(name, "")).strip():
                    issues.add(f"secrets.{name}", "required", f"A {cls.label} connector needs secrets.{name}.")
        accepted = (*cls.required_secrets, *cls.optional_secrets)
        for name in secrets or {}:
            if name not in accepted:
                issues.add(f"secrets.{name}", "unknown", f"{cls.label} takes these secrets: {', '.join(accepted)}.")
    issues.raise_if_any()


def create(*, actor: Actor, data: dict[str, Any]) -> ConnectorInstance:
    with transaction.atomic():
        permissions.require(actor, "connector.configure")
        kind = str(data.get("kind", ""))
        _validate(data, kind, creating=True)
        if ConnectorInstance.objects.filter(name=data["name"]).exists():
            raise Conflict(f"A connector named '{data['name']}' exists; update it instead.")
        secrets = {k: str(v) for k, v in (data.get("secrets") or {}).items()}
        instance = ConnectorInstance.objects.create(
            name=data["name"],
            kind=kind,
            base_url=str(data["base_url"]).rstrip("/"),
            settings=data.get("settings") or {},
            platforms=list(data.get("platforms") or (KINDS[kind].default_platforms)),
            boundaries=list(data.get("boundaries") or []),
            secrets_ciphertext=vault.seal(secrets),
            secret_names=sorted(secrets),
            enabled=bool(data.get("enabled", True)),
            dry_run=bool(data.get("dry_run", False)),
        )
        audit.record(
            actor=actor,
            action="connector.created",
            subject_type=SUBJECT,
            subject_id=instance.pk,
            after=instance.snapshot(),
        )
    return instance


def update(*, actor: Actor, connector_id: Any, changes: dict[str, Any], expected_etag: str | None) -> ConnectorInstance:
    with transaction.atomic():
        permissions.require(actor, "connector.configure")
        instance = locked(ConnectorInstance, connector_id, "connector")
        if expected_etag is not None and expected_etag.removeprefix("W/") != instance.etag:
            raise PreconditionFailed(
                f"Connector changed since you read it (now revision {instance.revision}); fetch it again.",
                current_etag=instance.etag,
            )
        _validate(changes, instance.kind, creating=False)
        before = instance.snapshot()
        for name in EDITABLE:
            if name in changes:
                setattr(instance, name, changes[name].rstrip("/") if name == "base_url" else changes[name])
        if changes.get("secrets"):
            secrets = {
                **vault.unseal(instance.secrets_ciphertext),
                **{k: str(v) for k, v in changes["secrets"].items()},
            }
            instance.secrets_ciphertext = vault.seal(secrets)
            instance.secret_names = sorted(secrets)
        instance.revision += 1
        instance.updated_at = timezone.now()
        instance.save()
        after = instance.snapshot()
        if changes.get("secrets"):
            after["secrets_rotated"] = sorted(changes["secrets"])
        audit.record(
            actor=actor,
            action="connector.updated",
            subject_type=SUBJECT,
            subject_id=instance.pk,
            before=before,
            after=after,
        )
    return instance


# --------------------------------------------------------------------------------------------
# Building a connector from its row


def build(instance: ConnectorInstance, *, max_attempts: int | None = None) -> Connector:
    runtime = runtime_factory()
    state = BreakerState(instance.circuit_state, instance.circuit_failures, instance.circuit_opened_at)
    runtime.breaker = runtime.breaker or CircuitBreaker(clock=runtime.clock, state=state)
    config = ConnectorConfig(
        kind=instance.kind,
        base_url=instance.base_url,
        settings=dict(instance.settings),
        secrets=vault.unseal(instance.secrets_ciphertext),
        dry_run=instance.dry_run,
        name=instance.name,
        max_attempts=max_attempts or 5,
        **{k: v for k, v in instance.settings.items() if k in ("timeout", "page_size")},
    )
    return KINDS[instance.kind](config, runtime)


def _persist_circuit(instance: ConnectorInstance, connector: Connector) -> None:
    """Operational state (like a job record), not configuration: no ledger event."""
    state = connector.breaker.state
    ConnectorInstance.objects.filter(pk=instance.pk).update(
        circuit_state=state.state, circuit_failures=state.failures, circuit_opened_at=state.opened_at
    )
    instance.circuit_state, instance.circuit_failures, instance.circuit_opened_at = (
        state.state,
        state.failures,
        state.opened_at,
    )
    metrics.circuit(instance.name, instance.kind, state.state)


def _domain_error(exc: ConnectorError, instance: ConnectorInstance) -> Exception:
    extra: dict[str, Any] = {"connector": instance.name, "plane_status": exc.status, "kind": exc.kind}
    if isinstance(exc, Transient):
        return PlaneUnavailable(f"{instance.name}: {exc.message}", retry_after=exc.retry_after, **extra)
    if isinstance(exc, PolicyViolation):
        return PlanePolicyViolation(f"{instance.name}: {exc.message}. A person must review this.", **extra)
    return PlaneRejected(f"{instance.name}: {exc.message}", **extra)


def get(connector_id: Any) -> ConnectorInstance:
    try:
        return ConnectorInstance.objects.get(pk=connector_id)
    except (ConnectorInstance.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound(f"No connector with id {connector_id}; list them with `fleetgate connector list`.") from None


def _usable(connector_id: Any) -> ConnectorInstance:
    instance = get(connector_id)
    if not instance.enabled:
        raise Conflict(
            f"Connector {instance.name} is disabled; a Platform Admin can enable it.", connector=instance.name
        )
    return instance


# --------------------------------------------------------------------------------------------
# Durable idempotency


def _encode(value: Any) -> dict[str, Any]:
    return {"type": type(value).__name__, "value": asdict(value)}


def _decode(data: dict[str, Any]) -> Any:
    cls = {"AppRef": AppRef, "OperationResult": OperationResult}[data["type"]]
    return cls(**data["value"])


def _idempotent(
    *,
    actor: Actor,
    instance: ConnectorInstance,
    connector: Connector,
    operation: str,
    key: str,
    call: Callable[[], T],
    find: Callable[[datetime], T | None],
) -> T:
    """`find` gets the pending record's creation time: what the plane made before it is not this call's."""
    if connector.config.dry_run:
        return call()  # nothing acts on the plane, so nothing to remember (and fake ids must never be reused)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.select_for_update().get_or_create(
            connector=instance, operation=operation, key=key, defaults={"correlation": Connector.marker(key)}
        )
        if record.status == IdempotencyRecord.Status.SUCCEEDED:
            return _decode(record.result)  # type: ignore[no-any-return]
        record.attempts += 1
        record.updated_at = timezone.now()
        record.save(update_fields=["attempts", "updated_at"])
    result: T | None = None
    try:
        if not created:
            result = _lookup(connector, lambda: find(record.created_at))
        resumed = result is not None
        if result is None:
            result = call()
    except ConnectorError as exc:
        _failed(record, exc)
        raise _domain_error(exc, instance) from exc
    finally:
        _persist_circuit(instance, connector)
    after_plane_call(operation)
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().get(pk=record.pk)
        record.status = IdempotencyRecord.Status.SUCCEEDED
        record.external_id = str(getattr(result, "external_id", ""))
        record.result = _encode(result)
        record.error = ""
        record.updated_at = timezone.now()
        record.save()
        audit.record(
            actor=actor,
            action=f"connector.{operation}",
            subject_type=SUBJECT,
            subject_id=instance.pk,
            after={
                "key": key,
                "external_id": record.external_id,
                "correlation": record.correlation,
                "resumed": resumed,
                "attempts": record.attempts,
            },
        )
    return result


def _lookup(connector: Connector, find: Callable[[], T | None]) -> T | None:
    for attempt in range(LOOKUP_TRIES):
        found = find()
        if found is not None:
            return found
        if attempt + 1 < LOOKUP_TRIES:
            connector._sleep(2.0 * (attempt + 1))
    return None


def _failed(record: IdempotencyRecord, exc: ConnectorError) -> None:
    # A transient failure (timeout, 5xx) may have acted on the plane: stay pending, look up next time.
    status = IdempotencyRecord.Status.PENDING if isinstance(exc, Transient) else IdempotencyRecord.Status.FAILED
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=status, error=str(exc)[:2000], updated_at=timezone.now()
    )


# --------------------------------------------------------------------------------------------
# Plane operations (the rollout engine calls these as RUNNER)


def _op(actor: Actor, connector_id: Any) -> tuple[ConnectorInstance, Connector]:
    permissions.require(actor, "connector.execute")
    instance = _usable(connector_id)
    return instance, sessions.connector_for(instance, build)  # reused within a `session()`


def _publish(actor: Actor, instance: ConnectorInstance, connector: Connector, artifact: Artifact, key: str) -> AppRef:
    return _idempotent(
        actor=actor,
        instance=instance,
        connector=connector,
        operation="publish",
        key=key,
        call=lambda: connector.publish(artifact, key),
        find=lambda since: connector.find_published(artifact, key),
    )


def _assign(
    actor: Actor,
    instance: ConnectorInstance,
    connector: Connector,
    app: AppRef,
    group: RingGroup,
    intent: IntentRef,
    key: str,
) -> OperationResult:
    return _idempotent(
        actor=actor,
        instance=instance,
        connector=connector,
        operation="assign",
        key=key,
        call=lambda: connector.assign(app, group, intent, key),
        find=lambda since: connector.find_assignment(app, group, replace(intent, requested_at=since), key),
    )


def _retire(
    actor: Actor, instance: ConnectorInstance, connector: Connector, app: AppRef, group: RingGroup, key: str
) -> OperationResult:
    return _idempotent(
        actor=actor,
        instance=instance,
        connector=connector,
        operation="retire",
        key=key,
        call=lambda: connector.retire(app, group, key),
        find=lambda since: connector.find_retirement(app, group, key),
    )


def _read(instance: ConnectorInstance, connector: Connector, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ConnectorError as exc:
        raise _domain_error(exc, instance) from exc
    finally:
        _persist_circuit(instance, connector)


def publish(*, actor: Actor, connector_id: Any, artifact: Artifact, key: str) -> AppRef:
    instance, connector = _op(actor, connector_id)
    return _publish(actor, instance, connector, artifact, key)


def assign(
    *, actor: Actor, connector_id: Any, app: AppRef, group: RingGroup, intent: IntentRef, key: str
) -> OperationResult:
    instance, connector = _op(actor, connector_id)
    return _assign(actor, instance, connector, app, group, intent, key)


def retire(*, actor: Actor, connector_id: Any, app: AppRef, group: RingGroup, key: str) -> OperationResult:
    instance, connector = _op(actor, connector_id)
    return _retire(actor, instance, connector, app, group, key)


def observe(*, actor: Actor, connector_id: Any, app: AppRef, group: RingGroup) -> ObserveResult:
    instance, connector = _op(actor, connector_id)
    return _read(instance, connector, lambda: connector.observe(app, group))


def inventory(*, actor: Actor, connector_id: Any, group: RingGroup) -> list[InventoryItem]:
    instance, connector = _op(actor, connector_id)
    return _read(instance, connector, lambda: connector.inventory(group))


def group_size(*, actor: Actor, connector_id: Any, group: RingGroup) -> int:
    """How many devices the plane has in the group now: a read, touching no plane state."""
    instance, connector = _op(actor, connector_id)
    return _read(instance, connector, lambda: connector.group_size(group))


# --------------------------------------------------------------------------------------------
# Check (health, optional end-to-end exercise)


@dataclass
class CheckOutcome:
    instance: ConnectorInstance
    ok: bool
    health: str
    detail: str
    latency_ms: float | None
    api_version: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


def check(*, actor: Actor, connector_id: Any, exercise: bool = False, ring_group: str = "FG-LAB") -> CheckOutcome:
    permissions.require(actor, "connector.check")
    if exercise:
        permissions.require(actor, "connector.exercise")
    instance = get(connector_id)
    connector = build(instance, max_attempts=1)  # a probe reports; it does not wait out a backoff
    ok, latency, steps = False, None, []
    try:
        result = connector.check()
        ok, latency, detail = True, result.latency_ms, result.detail
    except CircuitOpen as exc:
        detail = f"circuit open: {exc.message}"
    except ConnectorError as exc:
        detail = f"{exc.kind}: {exc.message}"
    if ok and exercise:
        steps = _exercise(actor, instance, connector, RingGroup(ring_group, ring=ring_group))
    _persist_circuit(instance, connector)
    health = Health.HEALTHY if ok and all(s["ok"] for s in steps) else Health.DEGRADED if ok else Health.DOWN
    with transaction.atomic():
        row = locked(ConnectorInstance, instance.pk, "connector")
        before = {"health": row.health}
        row.health, row.health_detail, row.last_checked_at = health, detail[:2000], timezone.now()
        row.save(update_fields=["health", "health_detail", "last_checked_at"])
        audit.record(
            actor=actor,
            action="connector.checked",
            subject_type=SUBJECT,
            subject_id=row.pk,
            before=before,
            after={
                "health": health,
                "detail": detail[:500],
                "dry_run": row.dry_run,
                "exercise": exercise,
                "steps": [{k: s[k] for k in ("step", "ok")} for s in steps],
            },
        )
    connector.close()
    return CheckOutcome(
        instance=row,
        ok=ok,
        health=health,
        detail=detail,
        latency_ms=latency,
        api_version=connector.api_version,
        steps=steps,
        requests=[r.as_dict() for r in connector.recorded],
    )


def _selftest_artifact(instance: ConnectorInstance) -> Artifact:
    version = timezone.now().strftime("1.%Y%m%d.%H%M%S")
    inert = b"Fleetgate connector self-test payload; inert.\n" * 64
    if instance.kind == "landscape":  # Landscape takes Debian packages only: an inert one
        payload, filename, fmt = (
            debian.build_deb("fleetgate-selftest", version, files={"/usr/share/fleetgate/selftest.marker": inert}),
            "fleetgate-selftest.deb",
            "deb",
        )
    else:
        payload, filename, fmt = inert, "fleetgate-selftest.msi", "msi"
    handle = tempfile.NamedTemporaryFile(prefix="fleetgate-selftest-", suffix=".bin", delete=False)  # noqa: SIM115
    with handle:
        handle.write(payload)
    return Artifact(
        name="Fleetgate Self-Test",
        version=version,
        filename=filename,
        sha256=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
        format=fmt,
        publisher="Fleetgate",
        path=handle.name,
        package_name="fleetgate-selftest",
        detection_rules=({"type": "file", "path": "C:\\ProgramData\\Fleetgate\\selftest.marker"},),
    )


def _exercise(
    actor: Actor, instance: ConnectorInstance, connector: Connector, group: RingGroup
) -> list[dict[str, Any]]:
    """publish → assign → observe → inventory → retire an inert self-test package on one ring group."""
    run = uuid.uuid4().hex[:12]
    artifact = _selftest_artifact(instance)
    steps: list[dict[str, Any]] = []

    def step(name: str, fn: Callable[[], Any], describe: Callable[[Any], Any]) -> Any:
        try:
            value = fn()
        except (ConnectorError, PlaneUnavailable, PlaneRejected, PlanePolicyViolation) as exc:
            steps.append({"step": name, "ok": False, "detail": str(exc)})
            return None
        steps.append({"step": name, "ok": True, "detail": describe(value)})
        return value

    try:
        app = step(
            "publish",
            lambda: _publish(actor, instance, connector, artifact, f"selftest:{run}:publish"),
            lambda a: {"external_id": a.external_id},
        )
        if app is None:
            return steps
        intent = IntentRef(f"selftest-{run}", "connector self-test", group.ring or group.name)
        if (
            step(
                "assign",
                lambda: _assign(actor, instance, connector, app, group, intent, f"selftest:{run}:assign"),
                lambda r: {"external_id": r.external_id, "status": r.status},
            )
            is None
        ):
            return steps
        if connector.config.dry_run:
            steps.append({"step": "observe", "ok": True, "detail": "skipped in dry run: nothing was created"})
        else:
            step(
                "observe",
                lambda: connector.observe(app, group),
                lambda o: {k: v for k, v in o.as_dict().items() if k != "detail_pages"},
            )
        step("inventory", lambda: connector.inventory(group), lambda items: [asdict(i) for i in items][:20])
        step(
            "retire",
            lambda: _retire(actor, instance, connector, app, group, f"selftest:{run}:retire"),
            lambda r: {"external_id": r.external_id},
        )
    finally:
        os.unlink(artifact.path)
    return steps
