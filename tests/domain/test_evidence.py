"""Evidence services: ingestion of each kind, digest binding, signatures, sealing, verification, ledger."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.errors import (
    Conflict,
    EvidenceIncomplete,
    EvidenceInvalid,
    EvidenceMismatch,
    Forbidden,
    SignatureInvalid,
    ValidationFailed,
)
from fleetgate.core.roles import Role
from fleetgate.evidence import inputs, services
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.inputs import ApprovedException
from fleetgate.evidence.models import EvidenceItem, EvidencePack, SbomComponent, SealKey
from tests.factories import last_event, upload
from tests.fixtures.evidence import builders as b
from tests.fixtures.evidence.world import EvidenceWorld, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def ew(db: object) -> EvidenceWorld:
    return build()


def _sealable(ew: EvidenceWorld, **overrides: object) -> EvidencePack:
    ew.add_all(**overrides)  # type: ignore[arg-type]
    ew.assess()
    return services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)


def test_each_ingestion_writes_one_ledger_event(ew: EvidenceWorld) -> None:
    before = LedgerEvent.objects.count()
    ew.add_all()
    assert LedgerEvent.objects.count() == before + 8
    event = last_event()
    assert (event.action, event.subject_type) == ("evidence.added", "evidence")
    assert event.after["kind"] == "test_evidence"
    statuses = {i.kind: i.status for i in EvidenceItem.objects.all()}
    assert statuses["signature"] == "verified"
    assert statuses["provenance"] == "verified"
    assert statuses["sbom"] == "recorded"


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6"])
def test_cyclonedx_versions_extract_components(ew: EvidenceWorld, spec: str) -> None:
    ew.add("sbom", b.cyclonedx(ew.sha, n=4, spec=spec))
    rows = SbomComponent.objects.filter(name="lib2", version="1.2.0")
    assert [r.artifact_id for r in rows] == [ew.artifact.pk]
    assert rows[0].licenses == ["MIT"]
    assert rows[0].purl == "pkg:pypi/lib2@1.2.0"


def test_spdx_extracts_components_and_a_new_sbom_supersedes(ew: EvidenceWorld) -> None:
    ew.add("sbom", b.cyclonedx(ew.sha))
    ew.add("sbom", b.spdx(ew.sha, n=2))
    current = EvidenceItem.objects.filter(kind="sbom", current=True)
    assert [i.format for i in current] == ["spdx-2.3"]
    from fleetgate.evidence import queries

    assert {(c.name, c.version) for c in queries.components()} == {
        ("app", "1.0.0"),
        ("lib0", "2.0.0"),
        ("lib1", "2.1.0"),
    }


def test_malformed_sbom_names_file_path_and_rule(ew: EvidenceWorld) -> None:
    doc = b.cyclonedx(ew.sha)
    doc["components"][1]["type"] = "gadget"
    before = LedgerEvent.objects.count()
    with pytest.raises(EvidenceInvalid) as caught:
        ew.add("sbom", doc, filename="bom.json")
    assert [(e.field, e.rule) for e in caught.value.errors] == [("bom.json:$.components[1].type", "cyclonedx-1.6:enum")]
    assert LedgerEvent.objects.count() == before
    assert not EvidenceItem.objects.exists()


def test_sbom_of_another_artifact_is_refused(ew: EvidenceWorld) -> None:
    with pytest.raises(EvidenceMismatch) as caught:
        ew.add("sbom", b.cyclonedx("f" * 64))
    assert caught.value.errors[0].rule == "subject-digest"


@pytest.mark.parametrize("builder", [b.trivy, b.grype])
def test_scan_of_another_target_is_refused(ew: EvidenceWorld, builder: object) -> None:
    with pytest.raises(EvidenceMismatch) as caught:
        ew.add("vulnerability_scan", builder("e" * 64, []))  # type: ignore[operator]
    assert caught.value.errors[0].rule == "target-digest"


def test_scan_over_the_registered_sbom_is_accepted(ew: EvidenceWorld) -> None:
    sbom = ew.add("sbom", b.cyclonedx(ew.sha))
    item = ew.add("vulnerability_scan", b.grype(sbom.sha256, [("GHSA-xxxx", None, "Low")]))
    assert item.summary["counts"]["Low"] == 1


def test_scan_bands_by_cvss_score(ew: EvidenceWorld) -> None:
    vulns = [("C", 9.0, "HIGH"), ("H", 8.9, "CRITICAL"), ("M", 4.0, "LOW"), ("L", 0.1, "MEDIUM"), ("X", None, "HIGH")]
    item = ew.add("vulnerability_scan", b.trivy(ew.sha, vulns))
    bands = {f["id"]: f["severity"] for f in item.summary["findings"]}
    assert bands == {"C": "Critical", "H": "High", "M": "Medium", "L": "Low", "X": "High"}
    assert item.summary["blocking"] == 3


def test_malware_for_another_file_is_refused(ew: EvidenceWorld) -> None:
    with pytest.raises(EvidenceMismatch):
        ew.add("malware_scan", b.malware("0" * 64))


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsa-p256-sha256", "rsa-pss-sha256"])
def test_detached_signatures_verify_for_each_algorithm(ew: EvidenceWorld, algorithm: str) -> None:
    key, pem = b.keypair(algorithm)
    services.register_key(actor=ew.world.actors[Role.SECURITY_REVIEWER], name=algorithm, publisher="Vendor", pem=pem)
    item = ew.add("signature", b.detached(key, algorithm, ew.sha))
    assert item.status == "verified"
    assert item.summary["publisher"] == "Vendor"


def test_short_rsa_and_other_curves_cannot_be_registered(ew: EvidenceWorld) -> None:
    reviewer = ew.world.actors[Role.SECURITY_REVIEWER]
    for algorithm, bits in (("rsa", 2048), ("ecdsa-p384", 0)):
        _, pem = b.keypair(algorithm, bits=bits)
        with pytest.raises(ValidationFailed) as caught:
            services.register_key(actor=reviewer, name="weak", publisher="V", pem=pem)
        assert caught.value.errors[0].rule == "key-algorithm"


def test_wrong_key_signature_is_refused_and_recorded(ew: EvidenceWorld) -> None:
    stranger, _ = b.keypair("ed25519")
    before = LedgerEvent.objects.count()
    with pytest.raises(SignatureInvalid) as caught:
        ew.add("signature", b.detached(stranger, "ed25519", ew.sha), filename="sig.json")
    assert caught.value.errors[0].field == "sig.json:$.signature"
    assert caught.value.errors[0].rule == "signature-mismatch"
    assert LedgerEvent.objects.count() == before + 1
    event = last_event()
    assert (event.action, event.severity, event.after["check"]) == (
        "evidence.verification_failed",
        "warning",
        "signature-mismatch",
    )
    assert not EvidenceItem.objects.filter(kind="signature").exists()


def test_expired_and_revoked_keys_are_refused(ew: EvidenceWorld) -> None:
    reviewer = ew.world.actors[Role.SECURITY_REVIEWER]
    old, pem = b.keypair("ed25519")
    past = timezone.now() - timedelta(days=400)
    services.register_key(
        actor=reviewer, name="2025", publisher="V", pem=pem, not_before=past, expires_at=past + timedelta(days=365)
    )
    with pytest.raises(SignatureInvalid) as caught:
        ew.add("signature", b.detached(old, "ed25519", ew.sha))
    assert caught.value.extra["check"] == "key-expired"
    services.revoke_key(actor=reviewer, key_id=services.TrustedKey.objects.get(name="release key").pk)
    with pytest.raises(SignatureInvalid) as caught:
        ew.add("signature", b.detached(ew.key, "ed25519", ew.sha))
    assert caught.value.extra["check"] == "key-revoked"


def test_x509_chain_to_a_registered_root(ew: EvidenceWorld) -> None:
    leaf_key, leaf, root = b.certificate_chain()
    reviewer = ew.world.actors[Role.SECURITY_REVIEWER]
    with pytest.raises(SignatureInvalid) as caught:
        ew.add("signature", b.detached(leaf_key, "ecdsa-p256-sha256", ew.sha, chain=[leaf]))
    assert caught.value.extra["check"] == "chain-untrusted"
    services.register_key(actor=reviewer, name="root", publisher="Example Publisher", pem=root)
    item = ew.add("signature", b.detached(leaf_key, "ecdsa-p256-sha256", ew.sha, chain=[leaf]))
    assert (item.status, item.summary["publisher"]) == ("verified", "Example Publisher")
    expired_key, expired_leaf, root2 = b.certificate_chain(expired_leaf=True)
    services.register_key(actor=reviewer, name="root2", publisher="P2", pem=root2)
    with pytest.raises(SignatureInvalid) as caught:
        ew.add("signature", b.detached(expired_key, "ecdsa-p256-sha256", ew.sha, chain=[expired_leaf]))
    assert caught.value.extra["check"] == "certificate-expired"


def test_declared_platform_signatures_stay_declared(ew: EvidenceWorld) -> None:
    item = ew.add("signature", {"type": "authenticode", "thumbprint": "A" * 40, "subject": "CN=Vendor"})
    assert (item.status, item.summary["verified"]) == ("declared", False)
    notarized = ew.add("signature", {"type": "apple_notarization", "team_id": "ABCDE12345", "ticket_id": "t-1"})
    assert notarized.status == "declared"
    assert EvidenceItem.objects.filter(kind="signature", current=True).count() == 2


def test_provenance_subject_must_be_the_artifact(ew: EvidenceWorld) -> None:
    with pytest.raises(EvidenceMismatch):
        ew.add("provenance", b.dsse(ew.key, "1" * 64))
    stranger, _ = b.keypair("ed25519")
    assert ew.add("provenance", b.dsse(stranger, ew.sha)).status == "declared"


def test_only_packaging_engineers_add_evidence(ew: EvidenceWorld) -> None:
    for role in Role:
        if role == Role.PACKAGING_ENGINEER:
            continue
        with pytest.raises(Forbidden):
            services.add_evidence(
                actor=ew.world.actors[role],
                artifact_id=ew.artifact.pk,
                kind="install_facts",
                filename="f.json",
                upload=upload(b.dumps(b.install_facts())),
            )


def test_seal_and_verify_offline(ew: EvidenceWorld) -> None:
    pack = _sealable(ew)
    event = last_event()
    assert (event.action, event.subject_id) == ("evidence_pack.sealed", str(pack.pk))
    report = verifier.verify(pack.sealed_json, [SealKey.objects.get().public_pem])
    assert report.ok, report.as_dict()
    assert report.pinned
    body = json.loads(pack.sealed_json)["body"]
    # user-context app, one Medium finding (0.3), 10-device rings (0.3), no history yet (0.5):
    # 4 + 1.5 + 2 + 1 + 4.5 + 3 + 1 + 5 = 22
    assert (body["risk"]["score"], body["risk"]["raw"]) == (22, "22.0")
    assert body["rollout_plan"] == ew.intent.ring_plan


def test_incomplete_pack_lists_every_gap(ew: EvidenceWorld) -> None:
    ew.add_all(skip=("sbom", "malware_scan"), rollback_plan=b.rollback_plan(validated=False))
    before = LedgerEvent.objects.count()
    with pytest.raises(EvidenceIncomplete) as caught:
        services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    found = {(e.field, e.rule) for e in caught.value.errors}
    assert found == {
        ("sections.sbom", "sections-present"),
        ("sections.malware_scan", "sections-present"),
        ("risk", "risk-assessed"),
        ("sections.rollback_plan", "rollback-validated"),
    }
    assert LedgerEvent.objects.count() == before
    assert not EvidencePack.objects.exists()


def test_critical_finding_blocks_until_an_unexpired_exception(
    ew: EvidenceWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    ew.add_all(vulnerability_scan=b.trivy(ew.sha, [("CVE-2026-9999", 9.8, "CRITICAL")]))
    ew.assess()
    with pytest.raises(EvidenceIncomplete) as caught:
        services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    assert {e.rule for e in caught.value.errors} == {"no-blocking-findings"}
    expired = ApprovedException("x-1", "vulnerability", "CVE-2026-9999", timezone.now() - timedelta(days=1))
    monkeypatch.setattr(inputs.SOURCES, "exceptions", lambda **kw: [expired])
    with pytest.raises(EvidenceIncomplete):
        services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    valid = ApprovedException("x-2", "vulnerability", "CVE-2026-9999", timezone.now() + timedelta(days=30))
    monkeypatch.setattr(inputs.SOURCES, "exceptions", lambda **kw: [expired, valid])
    ew.assess()
    pack = services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    body = json.loads(pack.sealed_json)["body"]
    assert [e["id"] for e in body["exceptions"]] == ["x-2"]
    assert body["risk"]["factors"]["sbom_vulnerability"]["option"] == "critical_with_exception"


def test_a_change_makes_version_two_and_unchanged_evidence_conflicts(ew: EvidenceWorld) -> None:
    first = _sealable(ew)
    with pytest.raises(Conflict):
        services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    ew.add("test_evidence", b.lab_results(succeeded=7))
    second = services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    assert (second.version, second.supersedes_id) == (2, first.pk)
    assert json.loads(second.sealed_json)["body"]["supersedes"] == {"version": 1, "sha256": first.sha256}
    assert last_event().after["voids_approvals_of"] == str(first.pk)


def test_seal_key_rotation_keeps_old_packs_verifiable(
    ew: EvidenceWorld, django_capture_on_commit_callbacks: Any
) -> None:
    first = _sealable(ew)
    old_key = SealKey.objects.get().public_pem
    with django_capture_on_commit_callbacks(execute=True):
        services.rotate_seal_key(actor=ew.world.actors[Role.SECURITY_REVIEWER], reason="yearly")
    assert last_event().action == "evidence_key.rotated"
    ew.add("test_evidence", b.lab_results(succeeded=6))
    second = services.seal_pack(actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk)
    assert first.key_id != second.key_id
    new_key = SealKey.objects.get(retired_at__isnull=True).public_pem
    assert verifier.verify(first.sealed_json, [old_key, new_key]).ok
    wrong = verifier.verify(first.sealed_json, [new_key])
    assert wrong.first_failure is not None
    assert wrong.first_failure.name == "seal-key"
    assert services.verify_pack(actor=ew.packager, pack_id=first.pk).ok


def test_server_side_verification_failure_is_a_ledger_event(ew: EvidenceWorld) -> None:
    pack = _sealable(ew)
    SealKey.objects.all().delete()  # the installation no longer knows the key that sealed it
    before = LedgerEvent.objects.count()
    report = services.verify_pack(actor=ew.world.actors[Role.AUDITOR], pack_id=pack.pk)
    assert not report.ok
    assert LedgerEvent.objects.count() == before + 1
    assert last_event().after["failed_check"] == "seal-key"
