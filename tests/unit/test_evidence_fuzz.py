"""Property fuzzing of every evidence parser and the offline pack verifier (hypothesis).

Three kinds of input per parser: arbitrary JSON, a valid document with one member replaced by an
arbitrary JSON value (the wrong type, a huge number, a deep structure), and arbitrary bytes. The
only allowed outcomes are success or a typed refusal (EvidenceInvalid naming `file:$...`, or a
named CheckFailed when a signature is checked); any other exception is a 500 in production.
Bounded (max_examples, no deadline) so the whole module runs in about 20 s (13 properties x 30 examples)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetgate.core.errors import EvidenceInvalid
from fleetgate.evidence import facts, provenance, sbom, scans, signatures
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.crypto import CheckFailed, TrustedKey
from fleetgate.evidence.documents import Kind
from tests.fixtures.evidence import builders as b

SHA = "ab" * 32
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
KEY, PEM = b.keypair("ed25519")
TRUSTED = [TrustedKey("k1", "release", "Vendor", "public_key", PEM, NOW - timedelta(days=1))]
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "SHA-256", "CRITICAL", "SEVERE", "NOASSERTION", "3.x", SHA, SHA.upper(), "1.6"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _verify_signature(raw: bytes, name: str) -> Any:
    document = signatures.parse(raw, name)
    if isinstance(document, signatures.Detached):
        return signatures.verify_detached(document, SHA, TRUSTED, NOW)
    return signatures.declared(document)


def _verify_provenance(raw: bytes, name: str) -> Any:
    envelope, statement, body = provenance.parse(raw, name)
    return provenance.verify(envelope, statement, body, TRUSTED, NOW)


def _facts(kind: Kind) -> Callable[[bytes, str], Any]:
    return lambda raw, name: facts.parse(kind, raw, name)


PARSERS: dict[str, tuple[Callable[[bytes, str], Any], Callable[[], Any]]] = {
    "cyclonedx": (sbom.parse, lambda: b.cyclonedx(SHA)),
    "cyclonedx-vulnerabilities": (sbom.parse, lambda: b.pip_audit_cyclonedx(SHA, [("PYSEC-1", 7.5)])),
    "spdx": (sbom.parse, lambda: b.spdx(SHA)),
    "trivy": (scans.parse, lambda: b.trivy(SHA, [("CVE-1", 7.5, "HIGH"), ("CVE-2", None, "LOW")])),
    "grype": (scans.parse, lambda: b.grype(SHA, [("CVE-1", 9.1, "Critical")])),
    "malware": (scans.parse_malware, lambda: b.malware(SHA, "detected")),
    "signature": (_verify_signature, lambda: b.detached(KEY, "ed25519", SHA)),
    "authenticode": (_verify_signature, lambda: {"type": "authenticode", "thumbprint": "A" * 40, "subject": "CN=V"}),
    "provenance": (_verify_provenance, lambda: b.dsse(KEY, SHA)),
    "install_facts": (_facts(Kind.INSTALL_FACTS), b.install_facts),
    "rollback_plan": (_facts(Kind.ROLLBACK_PLAN), b.rollback_plan),
    "test_evidence": (_facts(Kind.TEST_EVIDENCE), b.lab_results),
}


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*path, index))
    return found


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def _only_typed_outcomes(parse: Callable[[bytes, str], Any], raw: bytes) -> None:
    refusal: EvidenceInvalid | CheckFailed | None = None
    try:
        parse(raw, "fuzz.json")
    except (EvidenceInvalid, CheckFailed) as exc:  # anything else propagates and fails the property
        refusal = exc
    if isinstance(refusal, EvidenceInvalid):
        assert refusal.errors, "a refusal names at least one field"
        assert all(e.field.startswith("fuzz.json:$") and e.rule for e in refusal.errors), refusal.errors
    if isinstance(refusal, CheckFailed):
        assert refusal.check


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _mutated(name: str) -> Any:
    _, valid = PARSERS[name]
    doc = valid()
    return st.tuples(st.sampled_from(_paths(doc)), json_values).map(lambda pv: _replace(doc, *pv))


def _case(name: str) -> Any:
    @FUZZ
    @given(st.one_of(_mutated(name), json_values).map(_dumps) | st.binary(max_size=200))
    def fuzz(raw: bytes) -> None:
        _only_typed_outcomes(PARSERS[name][0], raw)

    fuzz.__name__ = f"test_fuzz_{name.replace('-', '_')}"
    return fuzz


for _name in PARSERS:
    globals()[f"test_fuzz_{_name.replace('-', '_')}"] = _case(_name)


def test_the_valid_documents_parse() -> None:
    """The fuzzers start from valid documents: prove they are."""
    for parse, valid in PARSERS.values():
        parse(_dumps(valid()), "ok.json")


@FUZZ
@given(st.data())
def test_fuzz_the_offline_verifier(data: st.DataObject) -> None:
    """Any change to a sealed pack's JSON yields a report naming a check, never an exception."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fleetgate.evidence import crypto, seal
    from tests.unit.test_evidence_rules import complete_body

    private = Ed25519PrivateKey.generate()
    body = complete_body()
    path = data.draw(st.sampled_from(_paths(body)))
    changed = _replace(body, path, data.draw(json_values))
    try:
        text, _ = seal.seal(changed, private, crypto.ed25519_key_id(private.public_key()))
    except ValueError:  # RFC 8785 refuses NaN, Infinity and integers past 2^53: nothing to verify
        text = json.dumps({"body": changed, "seal": {}}, allow_nan=True)
    report = verifier.verify(text, data.draw(st.none() | st.just([crypto.public_pem(private.public_key())])))
    assert report.ok or report.first_failure is not None
