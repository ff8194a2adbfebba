"""Evidence and risk over HTTP: every role on every endpoint with the exact ledger row, problem details
for bad input, the sealed download and the component query."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fleetgate.audit.models import LedgerEvent
from fleetgate.core.roles import Role
from fleetgate.evidence import services as evidence
from fleetgate.evidence import verify as verifier
from fleetgate.evidence.models import EvidenceItem, SealKey
from fleetgate.risk import services as risk
from tests.api.base import ALL_ROLES, Endpoint, ResourceAccessTests, client_for
from tests.factories import World
from tests.fixtures.evidence import builders as b
from tests.fixtures.evidence.world import LOW_RISK, EvidenceWorld, build

R = Role
PACKAGER = frozenset({R.PACKAGING_ENGINEER})
SECURITY = frozenset({R.SECURITY_REVIEWER})
ASSESSORS = frozenset({R.PACKAGING_ENGINEER, R.SECURITY_REVIEWER})
REPLAYERS = frozenset({R.AUDITOR, R.SECURITY_REVIEWER, R.CAB_APPROVER, R.PLATFORM_ADMIN})


def _ew(world: World, stage: str = "evidence") -> Any:
    """Per-world setup, built once: 'artifact', 'evidence' (all attached), 'assessed', 'sealed', 'proposed'."""
    _cache = world.memo  # per world, on the world itself (never keyed by id(world))
    key = (stage,)
    if key not in _cache:
        if stage == "proposed":
            document = json.loads(json.dumps(risk.rubric.embedded_document()))
            document["version"] = "1.1"
            _cache[key] = risk.propose_rubric(actor=world.actors[R.SECURITY_REVIEWER], document=document, reason="test")
            return _cache[key]
        ew: EvidenceWorld = _ew(world, "artifact") if stage != "artifact" else build(world)
        if stage == "evidence":
            ew.add_all()
        if stage == "assessed":
            ew = _ew(world, "evidence")
            _cache[(*key, "row")] = ew.assess()
        if stage == "sealed":
            ew = _ew(world, "assessed")
            _cache[(*key, "pack")] = evidence.seal_pack(
                actor=ew.packager, intent_id=ew.intent.pk, artifact_id=ew.artifact.pk
            )  # type: ignore[operator]
        _cache[key] = ew
    return _cache[key]


def _assessment(world: World) -> Any:
    _ew(world, "assessed")
    return world.memo[("assessed", "row")]


def _pack(world: World) -> Any:
    _ew(world, "sealed")
    return world.memo[("sealed", "pack")]


def _upload_body(world: World) -> dict[str, Any]:
    ew = _ew(world, "artifact")
    return {
        "artifact": str(ew.artifact.pk),
        "kind": "install_facts",
        "file": SimpleUploadedFile("install.json", b.dumps(b.install_facts())),
    }


def _key_body(world: World) -> dict[str, Any]:
    return {"name": "release 2027", "publisher": "Vendor", "pem": b.keypair("ecdsa-p256-sha256")[1]}


class TestEvidenceAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/evidence/", ALL_ROLES, label="list-evidence"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/evidence/",
            PACKAGER,
            201,
            body=_upload_body,
            multipart=True,
            ledger_action="evidence.added",
            label="add-evidence",
        ),
        Endpoint("GET", lambda w: "/api/v1/components/?name=lib1", ALL_ROLES, label="list-components"),
        Endpoint("GET", lambda w: "/api/v1/trusted-keys/", ALL_ROLES, label="list-trusted-keys"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/trusted-keys/",
            SECURITY,
            201,
            body=_key_body,
            ledger_action="signing_key.registered",
            label="register-key",
        ),
        Endpoint("GET", lambda w: "/api/v1/evidence-keys/", ALL_ROLES, label="list-seal-keys"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/evidence-keys/rotate/",
            SECURITY,
            201,
            body=lambda w: {"reason": "yearly"},
            ledger_action="evidence_key.rotated",
            label="rotate-seal-key",
        ),
        Endpoint("GET", lambda w: "/api/v1/evidence-packs/", ALL_ROLES, label="list-packs"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/evidence-packs/",
            PACKAGER,
            201,
            body=lambda w: {
                "intent": str(_ew(w, "assessed").intent.pk),
                "artifact": str(_ew(w, "assessed").artifact.pk),
            },
            ledger_action="evidence_pack.sealed",
            label="seal-pack",
        ),
        Endpoint("GET", lambda w: f"/api/v1/evidence-packs/{_pack(w).pk}/download/", ALL_ROLES, label="download-pack"),
        Endpoint("POST", lambda w: f"/api/v1/evidence-packs/{_pack(w).pk}/verify/", ALL_ROLES, label="verify-pack"),
    ]


class TestRiskAccess(ResourceAccessTests):
    endpoints = [
        Endpoint("GET", lambda w: "/api/v1/risk-assessments/", ALL_ROLES, label="list-assessments"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/risk-assessments/",
            ASSESSORS,
            201,
            body=lambda w: {"intent": str(_ew(w).intent.pk), "declared": LOW_RISK},
            ledger_action="risk.assessed",
            label="assess",
        ),
        Endpoint("POST", lambda w: f"/api/v1/risk-assessments/{_assessment(w).pk}/replay/", REPLAYERS, label="replay"),
        Endpoint("GET", lambda w: "/api/v1/risk-models/", ALL_ROLES, label="list-rubrics"),
        Endpoint(
            "POST",
            lambda w: "/api/v1/risk-models/",
            SECURITY,
            201,
            body=lambda w: {"document": {**risk.rubric.embedded_document(), "version": "2.0"}, "reason": "new weights"},
            ledger_action="risk_model.proposed",
            label="propose-rubric",
        ),
        Endpoint(
            "POST",
            lambda w: f"/api/v1/risk-models/{_ew(w, 'proposed').version}/approve/",
            frozenset({R.CAB_APPROVER}),
            body=lambda w: {"reason": "ok"},
            ledger_action="risk_model.approved",
            label="approve-rubric",
        ),
    ]


pytestmark = pytest.mark.django_db


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:800]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return dict(body)


def test_download_returns_the_sealed_json_that_verifies(world: World) -> None:
    pack = _pack(world)
    response = client_for(world.users[R.AUDITOR]).get(f"/api/v1/evidence-packs/{pack.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == pack.sealed_json
    assert verifier.verify(response.content, [SealKey.objects.get().public_pem]).ok


def test_incomplete_pack_is_a_problem_listing_every_gap(world: World) -> None:
    ew = build(world)
    ew.add_all(skip=("test_evidence",), malware_scan=b.malware(ew.sha, "detected"))
    body = _problem(
        client_for(world.users[R.PACKAGING_ENGINEER]).post(
            "/api/v1/evidence-packs/", {"intent": str(ew.intent.pk), "artifact": str(ew.artifact.pk)}, format="json"
        ),
        409,
        "evidence-incomplete",
    )
    assert {(e["field"], e["rule"]) for e in body["errors"]} == {
        ("sections.test_evidence", "sections-present"),
        ("risk", "risk-assessed"),
        ("sections.malware_scan", "no-malware"),
    }
    assert body["failed_checks"] == ["no-malware", "risk-assessed", "sections-present"]


def test_malformed_upload_names_file_path_and_rule(world: World) -> None:
    ew = build(world)
    doc = b.trivy(ew.sha, [("CVE-1", 5.0, "MEDIUM")])
    doc["Results"][0]["Vulnerabilities"][0].pop("PkgName")
    client = client_for(world.users[R.PACKAGING_ENGINEER])
    before = LedgerEvent.objects.count()
    response = client.post(
        "/api/v1/evidence/",
        {
            "artifact": str(ew.artifact.pk),
            "kind": "vulnerability_scan",
            "file": SimpleUploadedFile("trivy.json", b.dumps(doc)),
        },
        format="multipart",
    )
    body = _problem(response, 422, "evidence-invalid")
    assert body["file"] == "trivy.json"
    assert body["errors"] == [
        {"field": "trivy.json:$.Results[0].Vulnerabilities[0].PkgName", "rule": "missing", "message": "Field required"}
    ]
    assert LedgerEvent.objects.count() == before
    assert not EvidenceItem.objects.exists()


def test_bad_signature_is_a_problem_and_one_ledger_event(world: World) -> None:
    ew = build(world)
    stranger, _ = b.keypair("ed25519")
    client = client_for(world.users[R.PACKAGING_ENGINEER])
    before = LedgerEvent.objects.count()
    response = client.post(
        "/api/v1/evidence/",
        {
            "artifact": str(ew.artifact.pk),
            "kind": "signature",
            "file": SimpleUploadedFile("app.sig.json", b.dumps(b.detached(stranger, "ed25519", ew.sha))),
        },
        format="multipart",
    )
    body = _problem(response, 422, "signature-invalid")
    assert body["check"] == "signature-mismatch"
    assert LedgerEvent.objects.count() == before + 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "sbom"}, "artifact"),
        ({"artifact": "00000000-0000-0000-0000-000000000000", "kind": "poem"}, "kind"),
    ],
)
def test_upload_field_errors(world: World, data: dict[str, Any], field: str) -> None:
    data = {**data, "file": SimpleUploadedFile("x.json", b"{}")}
    body = _problem(
        client_for(world.users[R.PACKAGING_ENGINEER]).post("/api/v1/evidence/", data, format="multipart"),
        400,
        "validation-error",
    )
    assert field in {e["field"] for e in body["errors"]}


def test_unknown_artifact_is_not_found(world: World) -> None:
    data = {
        "artifact": "00000000-0000-0000-0000-000000000000",
        "kind": "sbom",
        "file": SimpleUploadedFile("x.json", b"{}"),
    }
    _problem(
        client_for(world.users[R.PACKAGING_ENGINEER]).post("/api/v1/evidence/", data, format="multipart"),
        404,
        "not-found",
    )


def test_which_artifacts_contain_a_component(world: World) -> None:
    ew = _ew(world)
    rows = (
        client_for(world.users[R.AUDITOR])
        .get("/api/v1/components/", {"name": "lib1", "version": "1.1.0"})
        .json()["results"]
    )
    assert [(r["artifact"], r["application"], r["application_version"]) for r in rows] == [
        (str(ew.artifact.pk), world.app.name, "1.0.0")
    ]
    rows = client_for(world.users[R.AUDITOR]).get("/api/v1/components/", {"purl": "pkg:pypi/lib2"}).json()["results"]
    assert len(rows) == 1


def test_a_client_score_is_refused(world: World) -> None:
    ew = _ew(world)
    body = _problem(
        client_for(world.users[R.PACKAGING_ENGINEER]).post(
            "/api/v1/risk-assessments/", {"intent": str(ew.intent.pk), "declared": LOW_RISK, "score": 3}, format="json"
        ),
        400,
        "validation-error",
    )
    assert ("score", "unknown-field") in {(e["field"], e["rule"]) for e in body["errors"]}


def test_replay_mismatch_is_a_problem(world: World) -> None:
    row = _assessment(world)
    type(row).objects.filter(pk=row.pk).update(raw="1.0")
    _problem(
        client_for(world.users[R.AUDITOR]).post(f"/api/v1/risk-assessments/{row.pk}/replay/"), 409, "replay-mismatch"
    )


def test_verify_failure_over_the_api(world: World) -> None:
    pack = _pack(world)
    SealKey.objects.all().delete()
    body = client_for(world.users[R.AUDITOR]).post(f"/api/v1/evidence-packs/{pack.pk}/verify/").json()
    assert (body["ok"], body["failed_check"]) == (False, "seal-key")
    assert LedgerEvent.objects.order_by("-sequence").first().action == "evidence_pack.verification_failed"  # type: ignore[union-attr]


def _upload(world: World, kind: str, raw: bytes, name: str = "doc.json", **extra: str) -> Any:
    ew = _ew(world, "artifact")
    return client_for(world.users[R.PACKAGING_ENGINEER]).post(
        "/api/v1/evidence/",
        {"artifact": str(ew.artifact.pk), "kind": kind, "file": SimpleUploadedFile(name, raw), **extra},
        format="multipart",
    )


def test_too_large_evidence_names_the_cap_that_applies(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "MAX_EVIDENCE_BYTES", 100)
    body = _problem(_upload(world, "install_facts", b" " * 300 + b.dumps(b.install_facts())), 413, "payload-too-large")
    assert "fixed cap of 100 bytes" in body["detail"]
    assert "raise FLEETGATE_MAX_UPLOAD_BYTES" not in body["detail"]


@pytest.mark.parametrize(
    ("kind", "raw", "rule"),
    [
        ("sbom", b"[" * 1000 + b"]" * 1000, "max-depth"),
        ("vulnerability_scan", b'{"SchemaVersion": ' + b"7" * 5000 + b', "ArtifactName": "x"}', "max-integer"),
        ("vulnerability_scan", b'{"matches": [], "x": NaN}', "finite-number"),
    ],
)
def test_hostile_evidence_files_are_problems_not_500s(world: World, kind: str, raw: bytes, rule: str) -> None:
    body = _problem(_upload(world, kind, raw, "evil.json"), 422, "evidence-invalid")
    assert body["errors"][0]["rule"] == rule
    assert body["errors"][0]["field"].startswith("evil.json:$")


def test_a_directory_scan_is_bound_by_the_binding_field(world: World) -> None:
    ew = _ew(world, "artifact")
    raw = b.dumps(b.trivy_fs([("CVE-2026-5", 3.1, "LOW")]))
    _problem(_upload(world, "vulnerability_scan", raw, "fs.json"), 422, "evidence-mismatch")
    response = _upload(world, "vulnerability_scan", raw, "fs.json", binding="declared")
    assert response.status_code == 201, response.content
    assert (response.json()["summary"]["binding"], response.json()["summary"]["bound_to"]) == ("declared", ew.sha)
    body = _problem(_upload(world, "sbom", b"{}", binding="declared"), 400, "validation-error")
    assert body["errors"][0]["field"] == "binding"
