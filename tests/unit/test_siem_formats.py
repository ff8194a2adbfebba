"""The SIEM wire formats, byte for byte: RFC 5424 with octet counting, CEF escaping and field mapping, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.siem import formats
from fleetgate.siem.models import Kind
from fleetgate.siem.transports import Endpoint


def _event(**overrides: object) -> LedgerEvent:
    values: dict[str, object] = {
        "sequence": 42,
        "occurred_at": datetime(2026, 12, 2, 13, 50, 1, 123456, tzinfo=UTC),
        "actor_kind": "user",
        "actor_id": "7",
        "actor_name": "admin",
        "actor_roles": ["platform_admin"],
        "action": "siem_destination.created",
        "severity": "critical",
        "subject_type": "siem_destination",
        "subject_id": "3",
        "before": None,
        "after": {"name": "splunk"},
        "reason": "line one\nline=two | \\ end",
        "correlation_id": "corr-1",
        "prev_hash": "a" * 64,
        "hash": "b" * 64,
        **overrides,
    }
    return LedgerEvent(**values)


def test_cef_maps_the_ledger_and_escapes_header_and_extension() -> None:
    record = formats.cef(_event())
    head, _, extension = record.partition("|rt=")
    assert head.split("|") == [
        "CEF:0",
        "Fleetgate",
        "Fleetgate",
        formats.product_version(),
        "siem_destination.created",
        "siem_destination.created siem_destination",
        "10",
    ]
    assert extension.startswith(
        "1796219401123 externalId=42 cn1=42 cn1Label=ledgerSequence act=siem_destination.created"
    )
    assert " suser=admin suid=7 spriv=platform_admin cs1=corr-1 cs1Label=correlationId" in record
    assert (
        f" cs2=siem_destination:3 cs2Label=subject cs3={'b' * 64} cs3Label=hash cs4={'a' * 64} cs4Label=prevHash"
        in record
    )
    assert record.endswith(r" msg=line one\nline\=two | \\ end")
    assert "\n" not in record


def test_cef_header_escapes_pipes_and_backslashes_and_severity_follows_the_event() -> None:
    record = formats.cef(_event(action="odd|act\\ion", severity="warning"))
    assert record.split("|rt=")[0].endswith(r"|odd\|act\\ion|odd\|act\\ion siem_destination|6")
    assert formats.cef(_event(severity="info")).split("|rt=")[0].endswith("|3")
    assert formats.cef(_event(severity="unheard-of")).split("|rt=")[0].endswith("|3")
    assert " msg=" not in formats.cef(_event(reason=""))
    assert formats.cef_value("a\r\nb\rc") == r"a\nb\rc"
    assert formats.cef_header("a\nb") == "a b"


def test_rfc5424_header_structured_data_and_octet_counting() -> None:
    message = formats.syslog(_event(actor_name='ad"m]in\\'), fmt="cef", host="fleetgate.example")
    text = message.decode()
    assert text.startswith(
        "<106>1 2026-12-02T13:50:01.123456Z fleetgate.example fleetgate - siem_destination.created "
        f'[fleetgate@32473 seq="42" hash="{"b" * 64}" action="siem_destination.created" corr="corr-1" '
        r'actor="ad\"m\]in\\"] CEF:0|'
    )
    framed = formats.octet_counted(message)
    length, _, rest = framed.partition(b" ")
    assert int(length) == len(rest) == len(message)
    info = formats.syslog(_event(severity="info", action="x" * 40), fmt="json", host="h o st")
    assert info.startswith(b"<110>1 2026-12-02T13:50:01.123456Z h_o_st fleetgate - " + b"x" * 32 + b" [")
    assert json.loads(info.decode().split("] ", 1)[1])["sequence"] == 42


def test_json_and_hec_carry_the_ledger_export_and_the_sequence() -> None:
    event = _event(reason="é")
    assert json.loads(formats.json_body([event])) == [event.as_export()]
    body = formats.hec_body([event, _event(sequence=43)], "host1").decode()
    first, second = (json.loads(line) for line in body.splitlines())
    assert first["event"] == event.as_export()
    assert first["event"]["reason"] == "é"
    assert (first["time"], first["host"], first["fields"]["sequence"], second["fields"]["sequence"]) == (
        1796219401.123456,
        "host1",
        42,
        43,
    )


@pytest.mark.parametrize(
    ("kind", "host", "path", "url"),
    [
        (Kind.HTTPS_HEC, "splunk.example", "", "https://splunk.example:8088/services/collector/event"),
        (Kind.HTTPS_JSON, "::1", "ingest", "https://[::1]:8088/ingest"),
        (Kind.HTTPS_JSON, "siem", "", "https://siem:8088/"),
    ],
)
def test_https_urls(kind: str, host: str, path: str, url: str) -> None:
    assert Endpoint(kind=kind, host=host, port=8088, path=path).url == url
