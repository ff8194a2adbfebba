"""Destinations, configured by a Platform Admin; every change is a ledger event (which is then streamed too)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.db import transaction
from django.utils import timezone

from fleetgate.audit import services as audit
from fleetgate.core import permissions
from fleetgate.core import secrets as vault
from fleetgate.core.actors import Actor
from fleetgate.core.errors import Conflict, NotFound, PreconditionFailed, SecretsUnreadable
from fleetgate.core.lookups import locked
from fleetgate.core.validation import Issues, check_choice
from fleetgate.siem import formats, transports
from fleetgate.siem.models import HEC_PATH, SECRET_NAMES, SYSLOG_KINDS, TLS_KINDS, Destination, Format, Kind

SUBJECT = "siem_destination"
EDITABLE = (
    "host",
    "port",
    "path",
    "format",
    "tls_verify",
    "tls_ca_pem",
    "tls_server_name",
    "tls_client_cert_pem",
    "batch_size",
)
MAX_BATCH = 5000
_HOST = re.compile(r"^[A-Za-z0-9.:_-]{1,255}$")


@dataclass(frozen=True)
class TestOutcome:
    destination: Destination
    ok: bool
    detail: str


def _validate(data: dict[str, Any], kind: str, issues: Issues) -> None:
    if "host" in data and not _HOST.match(str(data["host"])):
        issues.add("host", "hostname", "Give a host name or IP address (letters, digits, '.', ':', '-').")
    if "port" in data and not 1 <= int(data["port"]) <= 65535:
        issues.add("port", "range", "A port is between 1 and 65535 (syslog over TLS is usually 6514).")
    if "batch_size" in data and not 1 <= int(data["batch_size"]) <= MAX_BATCH:
        issues.add("batch_size", "range", f"Send between 1 and {MAX_BATCH} events per batch.")
    fmt = data.get("format")
    if fmt is not None:
        check_choice(issues, "format", fmt, Format.values)
        if kind not in SYSLOG_KINDS and fmt != Format.JSON:
            issues.add("format", "json-only", "HTTPS destinations receive JSON; choose format json.")
    path = data.get("path")
    if path and kind in SYSLOG_KINDS:
        issues.add("path", "https-only", "Only HTTPS destinations have a path; leave it empty for syslog.")
    elif path and (not path.startswith("/") or any(c.isspace() for c in path)):
        issues.add("path", "url-path", "A path starts with '/' and has no spaces, e.g. /services/collector/event.")
    if kind not in TLS_KINDS:
        for name in ("tls_ca_pem", "tls_server_name", "tls_client_cert_pem"):
            if data.get(name):
                issues.add(name, "tls-only", "Only TLS destinations (syslog-tls, https-*) take TLS settings.")
    if data.get("tls_ca_pem"):
        try:
            x509.load_pem_x509_certificates(data["tls_ca_pem"].encode())
        except ValueError:
            issues.add("tls_ca_pem", "pem-certificates", "Paste the CA certificate(s) in PEM form.")
    if data.get("tls_client_cert_pem"):
        try:
            x509.load_pem_x509_certificates(data["tls_client_cert_pem"].encode())
        except ValueError:
            issues.add("tls_client_cert_pem", "pem-certificates", "Paste the client certificate in PEM form.")
    key = (data.get("secrets") or {}).get("client_key_pem")
    if key:
        try:
            load_pem_private_key(key.encode(), password=None)
        except (ValueError, TypeError):
            issues.add("secrets.client_key_pem", "pem-private-key", "Paste the unencrypted client key in PEM form.")
    for name in data.get("secrets") or {}:
        if name not in SECRET_NAMES:
            issues.add(f"secrets.{name}", "choice", f"Secrets are: {', '.join(SECRET_NAMES)}.")


def unseal(destination: Destination) -> dict[str, str]:
    if not destination.secrets_ciphertext:
        return {}
    try:
        return dict(json.loads(vault.decrypt(destination.secrets_ciphertext)))
    except vault.SecretUnreadable as exc:
        raise SecretsUnreadable(f"Secrets of SIEM destination {destination.name}: {exc}") from None


def _seal(destination: Destination, secrets: dict[str, str]) -> None:
    kept = {k: v for k, v in secrets.items() if v}
    destination.secrets_ciphertext = vault.encrypt(json.dumps(kept, sort_keys=True)) if kept else ""
    destination.secret_names = sorted(kept)


def _check_complete(destination: Destination, issues: Issues) -> None:
    if destination.kind == Kind.HTTPS_HEC and "token" not in destination.secret_names:
        issues.add("secrets.token", "required", "Splunk HEC needs the HEC token (secrets.token).")
    if destination.tls_client_cert_pem and "client_key_pem" not in destination.secret_names:
        issues.add("secrets.client_key_pem", "required", "A client certificate needs its key (secrets.client_key_pem).")


def _kick(destination: Destination) -> None:
    """Stream at once after the change commits, rather than at the next minute's pass."""
    from fleetgate.siem import tasks

    if destination.enabled:
        transaction.on_commit(partial(tasks.stream_destination, destination.pk))


def create(*, actor: Actor, data: dict[str, Any]) -> Destination:
    issues = Issues()
    kind = data.get("kind", "")
    check_choice(issues, "kind", kind, Kind.values)
    defaults = {"format": Format.CEF if kind in SYSLOG_KINDS else Format.JSON}
    data = {**defaults, **{k: v for k, v in data.items() if v is not None}}
    _validate(data, kind, issues)
    issues.raise_if_any()
    with transaction.atomic():
        permissions.require(actor, "siem.configure")
        if Destination.objects.filter(name=data["name"]).exists():
            raise Conflict(f"A SIEM destination named '{data['name']}' exists; pick another name.")
        destination = Destination(name=data["name"], kind=kind, enabled=data.get("enabled", True))
        for name in EDITABLE:
            if name in data:
                setattr(destination, name, data[name])
        if kind == Kind.HTTPS_HEC and not destination.path:
            destination.path = HEC_PATH
        _seal(destination, dict(data.get("secrets") or {}))
        _check_complete(destination, issues)
        issues.raise_if_any()
        destination.save()
        audit.record(
            actor=actor,
            action="siem_destination.created",
            subject_type=SUBJECT,
            subject_id=destination.pk,
            after=destination.snapshot(),
        )
        _kick(destination)
    return destination


def update(*, actor: Actor, destination_id: int, changes: dict[str, Any], expected_etag: str | None) -> Destination:
    with transaction.atomic():
        permissions.require(actor, "siem.configure")
        destination = locked(Destination, destination_id, "SIEM destination")
        if expected_etag is not None and expected_etag.removeprefix("W/") != destination.etag:
            raise PreconditionFailed(
                f"The destination changed since you read it (now revision {destination.revision}); read it again.",
                current_etag=destination.etag,
            )
        issues = Issues()
        _validate(changes, destination.kind, issues)
        issues.raise_if_any()
        before = destination.snapshot()
        for name in EDITABLE:
            if name in changes:
                setattr(destination, name, changes[name])
        if "secrets" in changes:
            _seal(destination, {**unseal(destination), **changes["secrets"]})
        _check_complete(destination, issues)
        issues.raise_if_any()
        destination.revision += 1
        destination.updated_at = timezone.now()
        destination.save()
        after = destination.snapshot()
        if changes.get("secrets"):
            after["secrets_changed"] = sorted(changes["secrets"])
        audit.record(
            actor=actor,
            action="siem_destination.updated",
            subject_type=SUBJECT,
            subject_id=destination.pk,
            before=before,
            after=after,
        )
        _kick(destination)
    return destination


def set_enabled(*, actor: Actor, destination_id: int, enabled: bool) -> Destination:
    """Disabled, a destination keeps its place: enabled again, it resumes after its acknowledged sequence."""
    with transaction.atomic():
        permissions.require(actor, "siem.configure")
        destination = locked(Destination, destination_id, "SIEM destination")
        before = destination.snapshot()
        destination.enabled = enabled
        destination.next_attempt_at = None  # an operator's enable retries at once
        destination.revision += 1
        destination.updated_at = timezone.now()
        destination.save()
        audit.record(
            actor=actor,
            action=f"siem_destination.{'enabled' if enabled else 'disabled'}",
            subject_type=SUBJECT,
            subject_id=destination.pk,
            before=before,
            after=destination.snapshot(),
        )
        _kick(destination)
    return destination


def delete(*, actor: Actor, destination_id: int) -> None:
    with transaction.atomic():
        permissions.require(actor, "siem.configure")
        destination = locked(Destination, destination_id, "SIEM destination")
        before = {**destination.snapshot(), "acknowledged_sequence": destination.acknowledged_sequence}
        pk = destination.pk
        destination.delete()
        audit.record(actor=actor, action="siem_destination.deleted", subject_type=SUBJECT, subject_id=pk, before=before)


def endpoint(destination: Destination) -> transports.Endpoint:
    secrets = unseal(destination)
    return transports.Endpoint(
        kind=destination.kind,
        host=destination.host,
        port=destination.port,
        path=destination.path,
        tls_verify=destination.tls_verify,
        ca_pem=destination.tls_ca_pem,
        server_name=destination.tls_server_name,
        client_cert_pem=destination.tls_client_cert_pem,
        client_key_pem=secrets.get("client_key_pem", ""),
        token=secrets.get("token", ""),
    )


def send(destination: Destination, target: transports.Endpoint, events: list[formats.Event]) -> None:
    """One batch on the wire in the destination's format; raises transports.DeliveryFailed."""
    host = formats.hostname()
    if destination.kind in SYSLOG_KINDS:
        frames = b"".join(formats.octet_counted(formats.syslog(e, fmt=destination.format, host=host)) for e in events)
        transports.send_stream(target, frames)
    elif destination.kind == Kind.HTTPS_HEC:
        transports.post(target, formats.hec_body(events, host))
    else:
        transports.post(target, formats.json_body(events))


def send_test(*, actor: Actor, destination_id: int) -> TestOutcome:
    """Send one probe (sequence 0, which no ledger event has) now and record how it went."""
    permissions.require(actor, "siem.configure")
    destination = Destination.objects.filter(pk=destination_id).first()
    if destination is None:
        raise NotFound(f"No SIEM destination with id {destination_id}; list them to find the right id.")
    ok, detail = True, "The receiver accepted the test event."
    try:
        send(destination, endpoint(destination), [formats.probe_event(actor.name)])
    except transports.DeliveryFailed as exc:
        ok, detail = False, str(exc)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="siem_destination.tested",
            subject_type=SUBJECT,
            subject_id=destination.pk,
            after={"ok": ok, "detail": detail},
        )
    return TestOutcome(destination, ok, detail)
