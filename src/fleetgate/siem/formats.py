"""What goes on the wire for one ledger event: RFC 5424 syslog (CEF or JSON as its MSG), framed by octet
counting for TCP and TLS, and the JSON bodies of Splunk HEC and plain HTTPS. Pure functions.

References:
- RFC 5424 (The Syslog Protocol) §6: HEADER, STRUCTURED-DATA (§6.3.3: `"`, `\\` and `]` escaped in
  PARAM-VALUE), MSG; §6.2.1 PRI = facility * 8 + severity.
- RFC 6587 §3.4.1 and RFC 5425 §4.3: octet-counting framing, `MSG-LEN SP SYSLOG-MSG`.
- ArcSight "Implementing ArcSight CEF" rev. 25: header `CEF:Version|Device Vendor|Device Product|Device
  Version|Signature ID|Name|Severity|Extension`; in the header `\\` and `|` are escaped, in extension values
  `\\`, `=` and line breaks (`\\n`, `\\r`); custom strings csN with csNLabel, numbers cnN with cnNLabel.
- Splunk HEC `/services/collector/event`: one JSON object per event, `time`, `host`, `source`,
  `sourcetype`, `event`, index-time `fields`; several objects may be concatenated in one request body.

The ledger sequence is the receiver's idempotency key in every format: SD-PARAM `seq`, CEF `externalId` and
`cn1` (label `ledgerSequence`), JSON `sequence` (and HEC `fields.sequence`).
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

SD_ID = "fleetgate@32473"  # RFC 5612's documentation enterprise number: Fleetgate has no IANA PEN of its own
FACILITY = 13  # "log audit" (RFC 5424 table 1)
APP_NAME = "fleetgate"
VENDOR = PRODUCT = "Fleetgate"
SOURCETYPE = "fleetgate:ledger"

# ledger severity → (syslog severity, CEF severity 0..10)
SEVERITY = {"critical": (2, 10), "warning": (4, 6), "info": (6, 3)}
DEFAULT_SEVERITY = SEVERITY["info"]


class Event(Protocol):
    """The parts of a ledger event the formats read (audit.models.LedgerEvent)."""

    sequence: int
    action: str
    severity: str
    actor_kind: str
    actor_id: str
    actor_name: str
    actor_roles: list[str]
    subject_type: str
    subject_id: str
    reason: str
    correlation_id: str
    hash: str
    prev_hash: str

    @property
    def occurred_at(self) -> Any: ...

    def as_export(self) -> dict[str, Any]: ...


def product_version() -> str:
    try:
        return version("fleetgate")
    except PackageNotFoundError:  # pragma: no cover - always installed (pip install -e)
        return "0"


def hostname() -> str:
    name = re.sub(r"[^\x21-\x7e]", "", socket.gethostname())[:255]
    return name or "-"


# --------------------------------------------------------------------------------------------
# CEF


def cef_header(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def cef_value(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


def cef(event: Event) -> str:
    """One event as a CEF:0 record (the mapping is the README's table)."""
    _, severity = SEVERITY.get(event.severity, DEFAULT_SEVERITY)
    occurred_ms = int(event.occurred_at.timestamp() * 1000)
    extension: list[tuple[str, object]] = [
        ("rt", occurred_ms),
        ("externalId", event.sequence),
        ("cn1", event.sequence),
        ("cn1Label", "ledgerSequence"),
        ("act", event.action),
        ("suser", event.actor_name),
        ("suid", event.actor_id),
        ("spriv", ",".join(event.actor_roles) or event.actor_kind),
        ("cs1", event.correlation_id),
        ("cs1Label", "correlationId"),
        ("cs2", f"{event.subject_type}:{event.subject_id}"),
        ("cs2Label", "subject"),
        ("cs3", event.hash),
        ("cs3Label", "hash"),
        ("cs4", event.prev_hash),
        ("cs4Label", "prevHash"),
    ]
    if event.reason:
        extension.append(("msg", event.reason))
    header = [
        "CEF:0",
        VENDOR,
        PRODUCT,
        product_version(),
        event.action,
        f"{event.action} {event.subject_type}",
        str(severity),
    ]
    return (
        "|".join(cef_header(part) if i else part for i, part in enumerate(header))
        + "|"
        + " ".join(f"{key}={cef_value(value)}" for key, value in extension)
    )


# --------------------------------------------------------------------------------------------
# JSON


def json_event(event: Event) -> dict[str, Any]:
    """The ledger's own export form (audit export, JSON lines): sequence, hash chain, actor, subject, ..."""
    return event.as_export()


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hec_event(event: Event, host: str) -> dict[str, Any]:
    return {
        "time": round(event.occurred_at.timestamp(), 6),
        "host": host,
        "source": APP_NAME,
        "sourcetype": SOURCETYPE,
        "event": json_event(event),
        "fields": {"sequence": event.sequence, "action": event.action, "correlation_id": event.correlation_id},
    }


def hec_body(events: list[Event], host: str) -> bytes:
    return "\n".join(dumps(hec_event(e, host)) for e in events).encode()


def json_body(events: list[Event]) -> bytes:
    return dumps([json_event(e) for e in events]).encode()


# --------------------------------------------------------------------------------------------
# RFC 5424 over TCP / TLS


def sd_value(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")
    return text.replace("\r", " ").replace("\n", " ")  # one record per line in receivers' files


def _token(value: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, at most `limit` characters, else NILVALUE."""
    cleaned = re.sub(r"[^\x21-\x7e]", "_", value)[:limit]
    return cleaned or "-"


def syslog(event: Event, *, fmt: str, host: str) -> bytes:
    """One RFC 5424 SYSLOG-MSG; MSG is CEF or JSON (UTF-8, without BOM, i.e. MSG-ANY)."""
    severity, _ = SEVERITY.get(event.severity, DEFAULT_SEVERITY)
    stamp = event.occurred_at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    params = {
        "seq": event.sequence,
        "hash": event.hash,
        "action": event.action,
        "corr": event.correlation_id,
        "actor": event.actor_name,
    }
    data = "[" + SD_ID + "".join(f' {k}="{sd_value(v)}"' for k, v in params.items()) + "]"
    msg = cef(event) if fmt == "cef" else dumps(json_event(event))
    header = f"<{FACILITY * 8 + severity}>1 {stamp} {_token(host, 255)} {APP_NAME} - {_token(event.action, 32)}"
    return f"{header} {data} {msg}".encode()


def octet_counted(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


@dataclass
class Probe:
    """A test event: sequence 0, which no ledger event has, so receivers can tell it apart."""

    actor_name: str
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sequence: int = 0
    action: str = "siem.test_event"
    severity: str = "info"
    actor_kind: str = "user"
    actor_id: str = ""
    actor_roles: list[str] = field(default_factory=list)
    subject_type: str = "siem_destination"
    subject_id: str = ""
    reason: str = "Test event from Fleetgate (not a ledger event)"
    correlation_id: str = ""
    hash: str = ""
    prev_hash: str = ""

    def as_export(self) -> dict[str, Any]:
        return {
            "sequence": 0,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "action": self.action,
            "actor": {"kind": self.actor_kind, "name": self.actor_name},
            "reason": self.reason,
            "test": True,
        }


def probe_event(requested_by: str) -> Probe:
    return Probe(actor_name=requested_by)
