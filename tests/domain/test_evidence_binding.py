"""Evidence ingestion that must neither fail open nor drop anything: declared binding of directory
scans, CycloneDX vulnerabilities read as a scan, empty SBOMs, provenance downgrades, and packs
whose seal and offline verification agree."""

from __future__ import annotations

import json

import pytest

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.errors import EvidenceIncomplete, EvidenceMismatch, SignatureInvalid, ValidationFailed
from fleetgate.evidence import services
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.models import EvidenceItem, EvidencePack, SealKey
from tests.factories import last_event, upload
from tests.fixtures.evidence import builders as b
from tests.fixtures.evidence.world import EvidenceWorld, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def ew(db: object) -> EvidenceWorld:
    return build()


def _add(ew: EvidenceWorld, kind: str, doc: object, binding: str = "digest") -> EvidenceItem:
    return services.add_evidence(
        actor=ew.packager,
        artifact_id=ew.artifact.pk,
        kind=kind,
        filename=f"{kind}.json",
        upload=upload(b.dumps(doc)),
        binding=binding,
    )


def _seal(ew: EvidenceWorld) -> EvidencePack:
    ew.assess()
    return services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)


def _verifies(pack: EvidencePack) -> None:
    report = verifier.verify(pack.sealed_json, [SealKey.objects.get().public_pem], artifact_sha256=None)
    assert report.ok, report.as_dict()


@pytest.mark.parametrize("builder", [b.trivy_fs, b.grype_dir])
def test_directory_scans_need_and_accept_a_declared_binding(ew: EvidenceWorld, builder: object) -> None:
    report = builder([("CVE-2026-1", 5.0, "Medium")])  # type: ignore[operator]
    with pytest.raises(EvidenceMismatch) as caught:
        _add(ew, "vulnerability_scan", report)
    assert caught.value.errors[0].rule == "target-digest-missing"
    assert "--declare-binding" in caught.value.errors[0].message
    item = _add(ew, "vulnerability_scan", report, binding="declared")
    assert (item.summary["binding"], item.summary["bound_to"]) == ("declared", ew.sha)
    assert (last_event().after or {})["summary"]["binding"] == "declared"
    ew.add_all(skip=("vulnerability_scan",))
    pack = _seal(ew)
    [scan] = json.loads(pack.sealed_json)["body"]["sections"]["vulnerability_scan"]
    assert scan["summary"]["binding"] == "declared"
    _verifies(pack)


def test_a_declared_binding_never_overrides_a_digest_of_another_target(ew: EvidenceWorld) -> None:
    with pytest.raises(EvidenceMismatch) as caught:
        _add(ew, "vulnerability_scan", b.trivy("e" * 64), binding="declared")
    assert caught.value.errors[0].rule == "target-digest"


@pytest.mark.parametrize(("kind", "binding"), [("sbom", "declared"), ("vulnerability_scan", "whatever")])
def test_declared_binding_is_for_scans_only(ew: EvidenceWorld, kind: str, binding: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _add(ew, kind, b.cyclonedx(ew.sha), binding=binding)
    assert (caught.value.errors[0].field, caught.value.errors[0].rule) == ("binding", "declared-scan-only")


def test_pip_audit_sbom_vulnerabilities_become_a_scan_that_blocks(ew: EvidenceWorld) -> None:
    ew.add_all(skip=("sbom",))
    before = LedgerEvent.objects.count()
    sbom = ew.add("sbom", b.pip_audit_cyclonedx(ew.sha, [("PYSEC-2026-7", None)]))
    assert sbom.summary["vulnerabilities_recorded_as"] == "vulnerability_scan"
    assert LedgerEvent.objects.count() == before + 2  # the SBOM and the scan read from it
    scans = EvidenceItem.objects.filter(kind="vulnerability_scan", current=True)
    assert sorted(s.slot for s in scans) == ["", "sbom"]  # beside the Trivy scan, not replacing it
    derived = scans.get(slot="sbom")
    assert (derived.summary["target_digests"], derived.summary["binding"]) == ([sbom.sha256], "sbom")
    with pytest.raises(EvidenceIncomplete) as caught:
        _seal(ew)
    assert [(e.field, e.rule) for e in caught.value.errors] == [
        ("sections.vulnerability_scan.PYSEC-2026-7", "no-blocking-findings")
    ]
    ew.add("sbom", b.cyclonedx(ew.sha))  # a new SBOM takes the findings read from the old one with it
    assert not EvidenceItem.objects.filter(kind="vulnerability_scan", slot="sbom", current=True).exists()
    _verifies(_seal(ew))


def test_a_scan_of_a_replaced_sbom_is_refused_at_seal_as_the_verifier_would(ew: EvidenceWorld) -> None:
    ew.add_all(skip=("vulnerability_scan",))
    old = ew.items["sbom"]
    ew.add("vulnerability_scan", b.grype(old.sha256, [("CVE-1", 4.0, "Medium")]))
    ew.add("sbom", b.spdx(ew.sha))
    with pytest.raises(EvidenceIncomplete) as caught:
        _seal(ew)
    assert {e.rule for e in caught.value.errors} == {"scan-binding"}


def test_an_empty_sbom_is_recorded_with_a_warning_and_does_not_count(ew: EvidenceWorld) -> None:
    ew.add_all(sbom=b.cyclonedx(ew.sha, n=0))
    assert ew.items["sbom"].summary["warnings"]
    with pytest.raises(EvidenceIncomplete) as caught:
        _seal(ew)
    assert [(e.field, e.rule) for e in caught.value.errors] == [("sections.sbom", "sections-present")]


def test_upper_case_provenance_digest_seals_a_pack_that_verifies(ew: EvidenceWorld) -> None:
    ew.add_all(provenance=b.dsse(ew.key, ew.sha.upper()))
    assert ew.items["provenance"].summary["subjects"][0]["digest"]["sha256"] == ew.sha
    _verifies(_seal(ew))


def test_unverifiable_provenance_never_replaces_verified_provenance(ew: EvidenceWorld) -> None:
    verified = ew.add("provenance", b.dsse(ew.key, ew.sha))
    assert verified.status == "verified"
    stranger, _ = b.keypair("ed25519")
    before = LedgerEvent.objects.count()
    with pytest.raises(SignatureInvalid) as caught:
        ew.add("provenance", b.dsse(stranger, ew.sha))
    assert (caught.value.errors[0].field, caught.value.errors[0].rule) == (
        "provenance.json:$.signatures",
        "provenance-downgrade",
    )
    assert LedgerEvent.objects.count() == before + 1
    assert EvidenceItem.objects.get(kind="provenance", current=True).pk == verified.pk


def test_a_tampered_envelope_naming_the_registered_key_is_refused(ew: EvidenceWorld) -> None:
    good = b.dsse(ew.key, ew.sha, keyid=services.TrustedKey.objects.get().key_id)
    good["signatures"][0]["sig"] = b.dsse(ew.key, "1" * 64)["signatures"][0]["sig"]  # signs another statement
    with pytest.raises(SignatureInvalid) as caught:
        ew.add("provenance", good, filename="prov.json")
    assert (caught.value.errors[0].field, caught.value.errors[0].rule) == (
        "prov.json:$.signatures[0].sig",
        "signature-mismatch",
    )
    assert not EvidenceItem.objects.filter(kind="provenance").exists()
