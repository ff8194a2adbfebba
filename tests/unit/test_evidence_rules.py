"""Pure evidence logic without a database: parsers, completeness (each rule failing on its own),
sealing and offline verification of tampered packs and wrong keys."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.core.errors import EvidenceInvalid
from fleetgate.evidence import completeness, crypto, facts, provenance, sbom, scans, seal, signatures
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.crypto import CheckFailed, TrustedKey
from fleetgate.evidence.documents import Kind, band
from tests.fixtures.evidence import builders as b

SHA = "ab" * 32
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _trusted(pem: str, **kw: Any) -> TrustedKey:
    return TrustedKey(
        key_id="k1",
        name="release",
        publisher="Vendor",
        kind="public_key",
        pem=pem,
        not_before=NOW - timedelta(days=1),
        **kw,
    )


def _section(parsed: Any, filename: str, doc_sha: str = "cd" * 32) -> dict[str, Any]:
    return {
        "evidence_id": "e",
        "filename": filename,
        "document_sha256": doc_sha,
        "format": parsed.format,
        "status": parsed.status,
        "added_at": "",
        "summary": parsed.summary,
    }


def complete_body() -> dict[str, Any]:
    key, pem = b.keypair("ed25519")
    trusted = [_trusted(pem)]
    sig = signatures.verify_detached(
        signatures.parse(b.dumps(b.detached(key, "ed25519", SHA)), "s.json"), SHA, trusted, NOW
    )  # type: ignore[arg-type]
    env, stmt, body = provenance.parse(b.dumps(b.dsse(key, SHA)), "p.json")
    prov = provenance.verify(env, stmt, body, trusted, NOW)
    sections = {
        Kind.SBOM: sbom.parse(b.dumps(b.cyclonedx(SHA)), "bom.json"),
        Kind.VULNERABILITY_SCAN: scans.parse(b.dumps(b.trivy(SHA, [("CVE-1", 5.0, "MEDIUM")])), "trivy.json"),
        Kind.MALWARE_SCAN: scans.parse_malware(b.dumps(b.malware(SHA)), "av.json"),
        Kind.SIGNATURE: sig,
        Kind.PROVENANCE: prov,
        Kind.INSTALL_FACTS: facts.parse(Kind.INSTALL_FACTS, b.dumps(b.install_facts()), "install.json"),
        Kind.ROLLBACK_PLAN: facts.parse(Kind.ROLLBACK_PLAN, b.dumps(b.rollback_plan()), "rollback.json"),
        Kind.TEST_EVIDENCE: facts.parse(Kind.TEST_EVIDENCE, b.dumps(b.lab_results()), "tests.json"),
    }
    return {
        "schema": seal.SCHEMA,
        "version": 1,
        "artifact": {"id": "a", "sha256": SHA},
        "sections": {str(k): [_section(p, f"{k}.json")] for k, p in sections.items()},
        "risk": {"score": 14, "cab_required": False},
        "exceptions": [],
        "cab_submission": {"required": False, "present": False},
        "sealed_at": NOW.isoformat(),
    }


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    return complete_body()


def test_a_complete_body_has_no_gaps(body: dict[str, Any]) -> None:
    assert completeness.check(body) == []


def _drop(kind: str) -> Any:
    return lambda body: body["sections"].pop(kind)


def _summary(kind: str, **changes: Any) -> Any:
    return lambda body: body["sections"][kind][0]["summary"].update(changes)


def _finding(severity: str) -> Any:
    finding = {
        "id": "CVE-9",
        "severity": severity,
        "score": None,
        "component": "x",
        "installed_version": "1",
        "fixed_version": "2",
    }
    return lambda body: body["sections"]["vulnerability_scan"][0]["summary"]["findings"].append(finding)


RULES = [
    *[(_drop(str(kind)), "sections-present") for kind in completeness.REQUIRED_SECTIONS],
    (lambda body: body.update(risk=None), "risk-assessed"),
    (lambda body: body["sections"]["signature"][0].update(status="declared"), "signature-verified"),
    (_finding("Critical"), "no-blocking-findings"),
    (_finding("High"), "no-blocking-findings"),
    (_summary("malware_scan", result="detected"), "no-malware"),
    (_summary("malware_scan", result="error"), "no-malware"),
    (_summary("rollback_plan", validated=False), "rollback-validated"),
    (_summary("test_evidence", ring0_results={"attempted": 8, "succeeded": 0, "failed": 8}), "lab-install-succeeded"),
    (lambda body: body.update(risk={"score": 62, "cab_required": True}), "cab-submission"),
]


@pytest.mark.parametrize(("mutate", "rule"), RULES, ids=[f"{i}-{r}" for i, (_, r) in enumerate(RULES)])
def test_each_completeness_rule_fails_on_its_own(body: dict[str, Any], mutate: Any, rule: str) -> None:
    broken = copy.deepcopy(body)
    mutate(broken)
    assert {g.check for g in completeness.check(broken)} == {rule}


def test_artifact_digest_rule(body: dict[str, Any]) -> None:
    assert [g.check for g in completeness.check(body, artifact_digest_ok=False)] == ["artifact-digest"]


def _exception(kind: str, subject: str, days: int) -> dict[str, Any]:
    return {
        "id": f"x-{subject}",
        "kind": kind,
        "subject": subject,
        "expires_at": (NOW + timedelta(days=days)).isoformat(),
    }


def test_exceptions_cover_only_while_unexpired(body: dict[str, Any]) -> None:
    broken = copy.deepcopy(body)
    _finding("Critical")(broken)
    broken["sections"]["signature"][0]["status"] = "declared"
    broken["exceptions"] = [_exception("vulnerability", "CVE-9", -1), _exception("unsigned_package", "*", -1)]
    assert {g.check for g in completeness.check(broken)} == {"no-blocking-findings", "signature-verified"}
    broken["exceptions"] = [_exception("vulnerability", "CVE-9", 30), _exception("unsigned_package", "*", 30)]
    assert completeness.check(broken) == []
    broken["sections"]["malware_scan"][0]["summary"]["result"] = "detected"
    assert {g.check for g in completeness.check(broken)} == {"no-malware"}  # malware can never be excepted


def test_cab_submission_present_satisfies_the_rule(body: dict[str, Any]) -> None:
    changed = copy.deepcopy(body)
    changed["risk"] = {"score": 70, "cab_required": True}
    changed["cab_submission"] = {"required": True, "present": True}
    assert completeness.check(changed) == []


# --- sealing and offline verification ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed(body: dict[str, Any]) -> tuple[str, str]:
    private = Ed25519PrivateKey.generate()
    text, _ = seal.seal(body, private, crypto.ed25519_key_id(private.public_key()))
    return text, crypto.public_pem(private.public_key())


def test_a_sealed_pack_verifies_offline(sealed: tuple[str, str]) -> None:
    text, pem = sealed
    report = verifier.verify(text, [pem], artifact_sha256=SHA)
    assert report.ok, report.as_dict()
    assert [c.name for c in report.checks] == [
        "format",
        "content-address",
        "seal-key",
        "seal-signature",
        "artifact-binding",
        "evidence-signatures",
        "completeness",
    ]
    unpinned = verifier.verify(text)
    assert unpinned.ok
    assert not unpinned.pinned


def _tamper(text: str, change: Any) -> str:
    doc = json.loads(text)
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda d: d["body"]["risk"].update(score=3), "content-address"),
        (lambda d: d["body"]["sections"]["vulnerability_scan"][0]["summary"]["findings"].clear(), "content-address"),
        (lambda d: d["seal"].update(sha256="0" * 64), "content-address"),
        (lambda d: d["seal"].update(schema="other/v9"), "format"),
        (lambda d: d.pop("seal"), "format"),
    ],
)
def test_tampered_packs_name_the_failed_check(sealed: tuple[str, str], change: Any, check: str) -> None:
    text, pem = sealed
    report = verifier.verify(_tamper(text, change), [pem])
    assert not report.ok
    assert report.first_failure is not None
    assert report.first_failure.name == check


def test_a_resealed_forgery_fails_on_the_pinned_key(sealed: tuple[str, str]) -> None:
    text, pem = sealed
    doc = json.loads(text)
    doc["body"]["risk"]["score"] = 3
    forger = Ed25519PrivateKey.generate()
    forged, _ = seal.seal(doc["body"], forger, crypto.ed25519_key_id(forger.public_key()))
    assert verifier.verify(forged).ok  # integrity holds under the forger's own embedded key...
    report = verifier.verify(forged, [pem])  # ...but not under the installation's key
    assert report.first_failure is not None
    assert report.first_failure.name == "seal-key"
    swapped = _tamper(text, lambda d: d["seal"].update(signature=json.loads(forged)["seal"]["signature"]))
    assert verifier.verify(swapped, [pem]).first_failure.name == "seal-signature"  # type: ignore[union-attr]


def test_wrong_artifact_file_and_not_json(sealed: tuple[str, str]) -> None:
    text, pem = sealed
    assert verifier.verify(text, [pem], artifact_sha256="ef" * 32).first_failure.name == "artifact-binding"  # type: ignore[union-attr]
    assert verifier.verify("not json").first_failure.name == "format"  # type: ignore[union-attr]


def test_embedded_signatures_are_reverified(sealed: tuple[str, str]) -> None:
    text, _ = sealed
    doc = json.loads(text)
    doc["body"]["sections"]["signature"][0]["summary"]["signature"] = doc["body"]["sections"]["provenance"][0][
        "summary"
    ]["envelope"]["signatures"][0]["sig"]
    private = Ed25519PrivateKey.generate()
    resealed, _ = seal.seal(doc["body"], private, crypto.ed25519_key_id(private.public_key()))
    report = verifier.verify(resealed, [crypto.public_pem(private.public_key())])
    assert report.first_failure is not None
    assert report.first_failure.name == "evidence-signatures"


# --- parsers ------------------------------------------------------------------------------------------


def test_spdx_validation_errors_name_the_element() -> None:
    doc = b.spdx(SHA)
    doc["packages"][1]["SPDXID"] = "bad id"
    with pytest.raises(EvidenceInvalid) as caught:
        sbom.parse(b.dumps(doc), "app.spdx.json")
    assert any(
        e.field == "app.spdx.json:$.packages[1]" and e.rule == "spdx-2.3:validate"  # a path the file has
        for e in caught.value.errors
    )
    doc = b.spdx(SHA)
    del doc["creationInfo"]["created"]
    with pytest.raises(EvidenceInvalid) as caught:
        sbom.parse(b.dumps(doc), "app.spdx.json")
    assert caught.value.errors[0].rule == "spdx-2.3:parse"


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (b"\xff\xfe", "utf-8"),
        (b'{"bomFormat": ', "json"),
        (b"[]", "type"),
        (b'{"hello": 1}', "sbom-format"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.2"}', "spec-version"),
        (b'{"spdxVersion": "SPDX-2.2"}', "spec-version"),
    ],
)
def test_sbom_format_rules(raw: bytes, rule: str) -> None:
    with pytest.raises(EvidenceInvalid) as caught:
        sbom.parse(raw, "x.json")
    assert caught.value.errors[0].rule == rule
    assert caught.value.extra["file"] == "x.json"


def test_scan_shape_errors_name_the_path() -> None:
    doc = b.grype(SHA, [("CVE-1", 7.0, "High")])
    del doc["matches"][0]["artifact"]["name"]
    with pytest.raises(EvidenceInvalid) as caught:
        scans.parse(b.dumps(doc), "grype.json")
    assert [(e.field, e.rule) for e in caught.value.errors] == [("grype.json:$.matches[0].artifact.name", "missing")]
    with pytest.raises(EvidenceInvalid):
        scans.parse(b'{"x": 1}', "what.json")
    with pytest.raises(EvidenceInvalid) as caught:
        scans.parse_malware(b.dumps({**b.malware(SHA), "result": "detected"}), "av.json")
    assert caught.value.errors[0].field == "av.json:$.detections"


def test_severity_bands() -> None:
    from decimal import Decimal

    assert [band(Decimal(s), None) for s in ("10.0", "9.0", "8.9", "7.0", "6.9", "4.0", "3.9", "0.1", "0.0")] == [
        "Critical",
        "Critical",
        "High",
        "High",
        "Medium",
        "Medium",
        "Low",
        "Low",
        "None",
    ]
    assert band(None, "moderate") == "Medium"
    assert band(None, "whatever") == "Unknown"  # fail closed: Unknown blocks
    assert band(None, "negligible") == "None"
    assert band(Decimal("15.0"), None) == band(Decimal("-3"), None) == band(Decimal("Infinity"), None) == "Unknown"


def test_grype_and_trivy_normalise_to_the_same_findings() -> None:
    vulns = [("CVE-2", 9.1, "Critical"), ("CVE-1", 7.5, "High")]
    t = scans.parse(b.dumps(b.trivy(SHA, vulns)), "t.json").summary["findings"]
    g = scans.parse(b.dumps(b.grype(SHA, vulns)), "g.json").summary["findings"]
    assert [(f["id"], f["severity"], f["component"]) for f in t] == [
        (f["id"], f["severity"], f["component"]) for f in g
    ]


@pytest.mark.parametrize(
    ("kind", "doc", "path"),
    [
        (Kind.INSTALL_FACTS, {**b.install_facts(), "exit_codes": {"1603": "failure"}}, "$.exit_codes"),
        (
            Kind.INSTALL_FACTS,
            {**b.install_facts(), "detection_rules": [{"type": "product_code", "product_code": "x"}]},
            "$.detection_rules[0].product_code.product_code",
        ),
        (Kind.ROLLBACK_PLAN, {**b.rollback_plan(), "lab_evidence": []}, "$"),
        (
            Kind.TEST_EVIDENCE,
            {**b.lab_results(), "ring0_results": {"attempted": 1, "succeeded": 2, "failed": 0}},
            "$.ring0_results",
        ),
    ],
)
def test_fact_documents_name_the_broken_path(kind: Kind, doc: dict[str, Any], path: str) -> None:
    with pytest.raises(EvidenceInvalid) as caught:
        facts.parse(kind, b.dumps(doc), "f.json")
    assert caught.value.errors[0].field == f"f.json:{path}"


def test_signature_documents_and_key_policy() -> None:
    with pytest.raises(EvidenceInvalid):
        signatures.parse(b'{"type": "gpg"}', "s.json")
    key, pem = b.keypair("ed25519")
    doc = signatures.parse(b.dumps(b.detached(key, "ed25519", SHA)), "s.json")
    with pytest.raises(CheckFailed) as caught:
        signatures.verify_detached(doc, SHA, [], NOW)  # type: ignore[arg-type]
    assert caught.value.check == "key-unknown"
    with pytest.raises(CheckFailed) as caught:
        signatures.verify_detached(doc, "00" * 32, [_trusted(pem)], NOW)  # type: ignore[arg-type]
    assert caught.value.check == "signature-mismatch"
    with pytest.raises(CheckFailed) as caught:
        signatures.verify_detached(doc, SHA, [_trusted(pem, expires_at=NOW - timedelta(days=1))], NOW)  # type: ignore[arg-type]
    assert caught.value.check == "key-expired"
    wrong_alg = signatures.parse(
        b.dumps({**b.detached(key, "ed25519", SHA), "algorithm": "ecdsa-p256-sha256"}), "s.json"
    )
    with pytest.raises(CheckFailed) as caught:
        signatures.verify_detached(wrong_alg, SHA, [_trusted(pem)], NOW)  # type: ignore[arg-type]
    assert caught.value.check == "key-algorithm"


def test_provenance_shape_and_named_key_mismatch() -> None:
    key, pem = b.keypair("ed25519")
    bad = b.dsse(key, SHA, payload={"_type": "https://in-toto.io/Statement/v0.1"})
    with pytest.raises(EvidenceInvalid) as caught:
        provenance.parse(b.dumps(bad), "p.json")
    assert caught.value.errors[0].field.startswith("p.json:$.payload:")
    other, _ = b.keypair("ed25519")
    env, stmt, body = provenance.parse(b.dumps(b.dsse(other, SHA, keyid="k1")), "p.json")
    with pytest.raises(CheckFailed):
        provenance.verify(env, stmt, body, [_trusted(pem)], NOW)
    ec_key, ec_pem = b.keypair("ecdsa-p256-sha256")
    env, stmt, body = provenance.parse(b.dumps(b.dsse(ec_key, SHA)), "p.json")
    assert provenance.verify(env, stmt, body, [_trusted(ec_pem)], NOW).status == "verified"
