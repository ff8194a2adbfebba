"""Hostile and odd evidence files, without a database: each is refused with a problem naming the
file, the JSON path and the rule (never a RecursionError or another crash), severities fail closed,
and the pack verifier names the failed check on every malformed pack."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.core.errors import EvidenceInvalid
from fleetgate.evidence import completeness, crypto, facts, provenance, safejson, sbom, scans, seal, signatures
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.crypto import CheckFailed, TrustedKey
from fleetgate.evidence.documents import Kind
from tests.fixtures.evidence import builders as b
from tests.unit.test_evidence_rules import complete_body

SHA = "ab" * 32
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _refused(parse: Any, raw: bytes, filename: str = "f.json") -> list[tuple[str, str]]:
    with pytest.raises(EvidenceInvalid) as caught:
        parse(raw, filename)
    assert caught.value.extra["file"] == filename
    return [(e.field, e.rule) for e in caught.value.errors]


PARSERS = {
    "sbom": sbom.parse,
    "scan": scans.parse,
    "malware": scans.parse_malware,
    "signature": signatures.parse,
    "provenance": provenance.parse,
    "install_facts": lambda raw, name: facts.parse(Kind.INSTALL_FACTS, raw, name),
    "rollback_plan": lambda raw, name: facts.parse(Kind.ROLLBACK_PLAN, raw, name),
    "test_evidence": lambda raw, name: facts.parse(Kind.TEST_EVIDENCE, raw, name),
}
HOSTILE = {
    "arrays 1000 deep": (b"[" * 1000 + b"]" * 1000, "f.json:$" + "[0]" * safejson.MAX_DEPTH, "max-depth"),
    "objects 100000 deep": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, None, "max-depth"),
    "unclosed 5000 deep": (b"[" * 5000, None, "max-depth"),
    "integer of 5000 digits": (b'{"a": [1, ' + b"9" * 5000 + b"]}", "f.json:$.a[1]", "max-integer"),
    "integer past 2^53": (b'{"a": 9007199254740993}', "f.json:$.a", "max-integer"),
    "NaN": (b'{"x": {"y": NaN}}', "f.json:$.x.y", "finite-number"),
    "-Infinity": (b'{"x": -Infinity}', "f.json:$.x", "finite-number"),
    "1e400": (b'{"x": [1e400]}', "f.json:$.x[0]", "finite-number"),
    "not UTF-8": (b'{"x": "\xff"}', "f.json:$", "utf-8"),
}


@pytest.mark.parametrize("parser", list(PARSERS))
@pytest.mark.parametrize("case", list(HOSTILE))
def test_every_parser_refuses_hostile_json_naming_path_and_rule(parser: str, case: str) -> None:
    raw, field, rule = HOSTILE[case]
    errors = _refused(PARSERS[parser], raw)
    assert errors[0][1] == rule
    assert errors[0][0] == (field or errors[0][0])
    assert errors[0][0].startswith("f.json:$")


def test_cyclonedx_components_nested_200_deep_name_the_path() -> None:
    errors = _refused(sbom.parse, b.dumps(b.nested_components(200, SHA)), "bom.json")
    assert errors == [("bom.json:$" + ".components[0]" * (safejson.MAX_DEPTH // 2), "max-depth")]
    parsed = sbom.parse(b.dumps(b.nested_components(25, SHA)), "bom.json")  # deep but legal: walked, no recursion
    assert parsed.summary["component_count"] == 26


def test_deep_nesting_inside_a_dsse_payload_names_the_payload() -> None:
    key, _ = b.keypair("ed25519")
    envelope = b.dsse(key, SHA)
    import base64

    envelope["payload"] = base64.b64encode(b"[" * 2000 + b"]" * 2000).decode()
    assert _refused(provenance.parse, b.dumps(envelope), "p.json")[0] == (
        "p.json:$.payload:$" + "[0]" * safejson.MAX_DEPTH,
        "max-depth",
    )
    envelope["payload"] = base64.b64encode(b'{"_type": "\xff"}').decode()
    assert _refused(provenance.parse, b.dumps(envelope), "p.json") == [("p.json:$.payload:$", "utf-8")]


SPDX_WRONG_TYPES = [
    (lambda d: d.update(packages="x"), "$.packages"),
    (lambda d: d.update(packages=[1]), "$.packages[0]"),
    (lambda d: d.update(creationInfo=[]), "$.creationInfo"),
    (lambda d: d["creationInfo"].update(creators="Tool: x"), "$.creationInfo.creators"),
    (lambda d: d.update(relationships="x"), "$.relationships"),
    (lambda d: d.update(annotations=[7]), "$.annotations[0]"),
    (lambda d: d["packages"][0].update(packageVerificationCode="x"), "$.packages[0].packageVerificationCode"),
    (lambda d: d["packages"][1].update(name=5), "$.packages[1].name"),
    (lambda d: d["packages"][1].update(filesAnalyzed="yes"), "$.packages[1].filesAnalyzed"),
    (
        lambda d: d["packages"][0].update(checksums=[{"algorithm": "SHA256", "checksumValue": 5}]),
        "$.packages[0].checksums[0].checksumValue",
    ),
    (
        lambda d: d.update(snippets=[{"ranges": [{"startPointer": {"offset": True}}]}]),
        "$.snippets[0].ranges[0].startPointer.offset",
    ),
]


@pytest.mark.parametrize(("mutate", "path"), SPDX_WRONG_TYPES, ids=[p for _, p in SPDX_WRONG_TYPES])
def test_spdx_members_of_the_wrong_type_are_named(mutate: Any, path: str) -> None:
    doc = b.spdx(SHA)
    mutate(doc)
    assert _refused(sbom.parse, b.dumps(doc), "s.json") == [(f"s.json:{path}", "spdx-2.3:type")]


def test_spdx_parse_errors_are_traced_to_their_member() -> None:
    doc = b.spdx(SHA)
    doc["creationInfo"]["licenseListVersion"] = "3.x"
    assert _refused(sbom.parse, b.dumps(doc), "s.json") == [
        ("s.json:$.creationInfo.licenseListVersion", "spdx-2.3:license-list-version")
    ]
    doc = b.spdx(SHA)
    doc["creationInfo"]["creators"] = ["Tool: ok", "somebody"]
    assert _refused(sbom.parse, b.dumps(doc), "s.json") == [("s.json:$.creationInfo.creators[1]", "spdx-2.3:parse")]
    doc = b.spdx(SHA)
    doc["packages"][2]["licenseConcluded"] = "MIT AND ("
    assert _refused(sbom.parse, b.dumps(doc), "s.json") == [("s.json:$.packages[2]", "spdx-2.3:parse")]


def _trivy_with(cvss: dict[str, Any], label: str = "MEDIUM") -> dict[str, Any]:
    doc = b.trivy(SHA, [("CVE-1", None, label)])
    doc["Results"][0]["Vulnerabilities"][0]["CVSS"] = cvss
    return doc


@pytest.mark.parametrize(
    ("doc", "path", "rule"),
    [
        (
            _trivy_with({"nvd": {"V3Score": -3}}),
            "$.Results[0].Vulnerabilities[0].CVSS.nvd.V3Score",
            "greater_than_equal",
        ),
        (
            _trivy_with({"nvd": {"V3Score": 15.0}}),
            "$.Results[0].Vulnerabilities[0].CVSS.nvd.V3Score",
            "less_than_equal",
        ),
        (
            _trivy_with({"nvd": {"V3Score": "Infinity"}}),
            "$.Results[0].Vulnerabilities[0].CVSS.nvd.V3Score",
            "finite_number",
        ),
        (_trivy_with({}, label="SEVERE"), "$.Results[0].Vulnerabilities[0].Severity", "severity-label"),
        (
            b.grype(SHA, [("CVE-1", 15.0, "High")]),
            "$.matches[0].vulnerability.cvss[0].metrics.baseScore",
            "less_than_equal",
        ),
        (
            b.grype(SHA, [("CVE-1", -3, "High")]),
            "$.matches[0].vulnerability.cvss[0].metrics.baseScore",
            "greater_than_equal",
        ),
        (b.grype(SHA, [("CVE-1", None, "SEVERE")]), "$.matches[0].vulnerability.severity", "severity-label"),
    ],
)
def test_impossible_scores_and_unknown_labels_are_refused(doc: dict[str, Any], path: str, rule: str) -> None:
    assert _refused(scans.parse, b.dumps(doc), "scan.json") == [(f"scan.json:{path}", rule)]


@pytest.mark.parametrize("raw", [b'{"x": NaN}', b'{"x": Infinity}'])
def test_nan_and_infinity_scores_in_trivy_and_grype_are_refused(raw: bytes) -> None:
    for builder, path in (
        (b.trivy, "Results[0].Vulnerabilities[0].CVSS.nvd.V3Score"),
        (b.grype, "matches[0].vulnerability.cvss[0].metrics.baseScore"),
    ):
        text = json.dumps(builder(SHA, [("CVE-1", 1.5, "Low")])).replace("1.5", raw.decode()[6:-1])
        assert _refused(scans.parse, text.encode(), "s.json") == [(f"s.json:$.{path}", "finite-number")]


def test_a_finding_nobody_rated_blocks() -> None:
    parsed = scans.parse(b.dumps(_trivy_with({}, label="UNKNOWN")), "t.json")
    assert parsed.summary["findings"][0]["severity"] == "Unknown"
    assert parsed.summary["blocking"] == 1
    body = complete_body()
    body["sections"]["vulnerability_scan"][0]["summary"] = parsed.summary
    assert {g.check for g in completeness.check(body)} == {"no-blocking-findings"}


def test_the_highest_cvss_version_decides() -> None:
    doc = b.grype(SHA, [("CVE-1", 9.8, "Medium")])
    v3 = doc["matches"][0]["vulnerability"]["cvss"][0]
    v2 = {**copy.deepcopy(v3), "version": "2.0", "metrics": {"baseScore": 5.0}}
    doc["matches"][0]["vulnerability"]["cvss"] = [v2, v3]
    finding = scans.parse(b.dumps(doc), "g.json").summary["findings"][0]
    assert (finding["severity"], finding["score"]) == ("Critical", "9.8")
    v4 = {**copy.deepcopy(v3), "version": "4.0", "type": "Secondary", "metrics": {"baseScore": 7.1}}
    doc["matches"][0]["vulnerability"]["cvss"] = [v2, v3, v4]
    assert scans.parse(b.dumps(doc), "g.json").summary["findings"][0]["score"] == "7.1"
    trivy = _trivy_with({"nvd": {"V2Score": 5.0, "V3Score": 9.8}, "redhat": {"V2Score": 4.0}})
    assert scans.parse(b.dumps(trivy), "t.json").summary["findings"][0]["severity"] == "Critical"
    trivy = _trivy_with({"ghsa": {"V40Score": 8.7}, "nvd": {"V3Score": 5.3}})
    assert scans.parse(b.dumps(trivy), "t.json").summary["findings"][0]["severity"] == "High"
    only_v2 = _trivy_with({"nvd": {"V2Score": 7.5}}, label="LOW")
    assert scans.parse(b.dumps(only_v2), "t.json").summary["findings"][0]["severity"] == "High"


def test_cyclonedx_vulnerabilities_are_read_as_a_scan() -> None:
    doc = b.pip_audit_cyclonedx(SHA, [("PYSEC-2026-1", None), ("GHSA-2", 9.1)])
    parsed = sbom.parse(b.dumps(doc), "audit.json")
    assert parsed.summary["vulnerability_count"] == 2
    [scan] = parsed.derived
    assert scan.kind == Kind.VULNERABILITY_SCAN
    assert {(f["id"], f["severity"], f["component"]) for f in scan.summary["findings"]} == {
        ("PYSEC-2026-1", "Unknown", "lib0"),
        ("GHSA-2", "Critical", "lib0"),
    }
    direct = scans.parse(b.dumps(doc), "audit.json")  # attached as a scan, the same findings
    assert direct.summary["findings"] == scan.summary["findings"]
    assert direct.digests == {SHA}
    doc["vulnerabilities"][1]["ratings"][0]["score"] = 11
    assert _refused(sbom.parse, b.dumps(doc), "audit.json") == [
        ("audit.json:$.vulnerabilities[1].ratings[0].score", "cvss-range")
    ]


def test_an_sbom_with_no_components_warns_and_does_not_count() -> None:
    doc = b.cyclonedx(SHA, n=0)
    parsed = sbom.parse(b.dumps(doc), "empty.json")
    assert parsed.summary["component_count"] == 0
    assert parsed.summary["warnings"] == [sbom.EMPTY_WARNING]
    body = complete_body()
    body["sections"]["sbom"][0]["summary"] = parsed.summary
    gaps = completeness.check(body)
    assert [(g.check, g.field) for g in gaps] == [("sections-present", "sections.sbom")]
    assert "no components" in gaps[0].message


def _trusted(pem: str) -> TrustedKey:
    return TrustedKey("k1", "release", "Vendor", "public_key", pem, NOW - timedelta(days=1))


def test_upper_case_provenance_digest_is_normalised_so_seal_and_verify_agree() -> None:
    key, pem = b.keypair("ed25519")
    env, stmt, body = provenance.parse(b.dumps(b.dsse(key, SHA.upper())), "p.json")
    assert provenance.subject_digests(stmt) == {SHA}
    prov = provenance.verify(env, stmt, body, [_trusted(pem)], NOW)
    pack = complete_body()
    pack["sections"]["provenance"][0]["summary"] = prov.summary
    private = Ed25519PrivateKey.generate()
    text, _ = seal.seal(pack, private, crypto.ed25519_key_id(private.public_key()))
    report = verifier.verify(text, [crypto.public_pem(private.public_key())])
    assert report.ok, report.as_dict()


def test_a_bad_signature_naming_a_registered_key_is_refused_not_declared() -> None:
    key, pem = b.keypair("ed25519")
    in_toto_keyid = crypto.dsse_key(pem).keyid
    for keyid in (in_toto_keyid, "k1"):
        envelope = b.dsse(key, SHA, keyid=keyid)
        envelope["payload"] = b.dsse(key, "cd" * 32)["payload"]  # signed for another subject
        env, stmt, body = provenance.parse(b.dumps(envelope), "p.json")
        with pytest.raises(CheckFailed) as caught:
            provenance.verify(env, stmt, body, [_trusted(pem)], NOW)
        assert (caught.value.check, caught.value.path) == ("signature-mismatch", "$.signatures[0].sig")
    env, stmt, body = provenance.parse(b.dumps(b.dsse(key, SHA, keyid=in_toto_keyid)), "p.json")
    assert provenance.verify(env, stmt, body, [_trusted(pem)], NOW).summary["key_id"] == "k1"


def test_signature_failures_name_paths_the_file_has() -> None:
    key, pem = b.keypair("ed25519")
    doc = b.detached(key, "ed25519", SHA)
    cases = [
        ({**doc, "key_id": "nobody"}, [], "key-unknown", "$.key_id"),
        (doc, [], "key-unknown", "$.signature"),
        ({**doc, "algorithm": "ecdsa-p256-sha256"}, [_trusted(pem)], "key-algorithm", "$.algorithm"),
        (b.detached(key, "ed25519", "00" * 32), [_trusted(pem)], "signature-mismatch", "$.signature"),
        ({**doc, "certificate_chain": ["x"]}, [], "certificate-format", "$.certificate_chain"),
    ]
    for document, trusted, check, path in cases:
        parsed = signatures.parse(b.dumps(document), "s.json")
        with pytest.raises(CheckFailed) as caught:
            signatures.verify_detached(parsed, SHA, trusted, NOW)  # type: ignore[arg-type]
        assert (caught.value.check, caught.value.path) == (check, path)
        assert path.removeprefix("$.") in document
    parsed = signatures.parse(b.dumps(doc), "s.json")
    with pytest.raises(CheckFailed) as caught:
        signatures.verify_detached(parsed, SHA, [], NOW)  # type: ignore[arg-type]
    assert "POST /api/v1/trusted-keys/" in caught.value.message
    assert "fleetgate evidence key add" not in caught.value.message


# --- the offline verifier on malformed packs: always a named check, never a crash ------------------


def _resealed(change: Any) -> tuple[str, str]:
    body = complete_body()
    change(body)
    private = Ed25519PrivateKey.generate()
    text, _ = seal.seal(body, private, crypto.ed25519_key_id(private.public_key()))
    return text, crypto.public_pem(private.public_key())


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda body: body.pop("artifact"), "artifact-binding"),
        (lambda body: body.update(artifact={"id": "a"}), "artifact-binding"),
        (lambda body: body.update(artifact={"sha256": 7}), "artifact-binding"),
        (lambda body: body.update(sections=[]), "artifact-binding"),
        (lambda body: body.pop("sealed_at"), "completeness"),
        (lambda body: body["sections"]["signature"][0].pop("summary"), "evidence-signatures"),
    ],
)
def test_a_resigned_malformed_pack_names_the_failed_check(change: Any, check: str) -> None:
    text, pem = _resealed(change)
    report = verifier.verify(text, [pem])
    assert not report.ok
    assert report.first_failure is not None
    assert report.first_failure.name == check


@pytest.mark.parametrize(
    "text",
    ["[" * 5000, '{"body": {}, "seal": []}', '{"body": [], "seal": {}}', "[]", '{"body": {"x": NaN}, "seal": {}}'],
)
def test_unreadable_packs_fail_the_format_check(text: str) -> None:
    assert verifier.verify(text).first_failure.name == "format"  # type: ignore[union-attr]
