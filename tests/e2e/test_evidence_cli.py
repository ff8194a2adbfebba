"""The evidence and risk CLI: client commands over HTTP to a live server, `evidence verify` fully
offline in a separate process with no database reachable, and `risk replay` on the host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from fleetgate.cli.main import app
from fleetgate.core.roles import Role
from fleetgate.evidence.models import EvidencePack, SealKey
from fleetgate.risk.models import RiskAssessment
from tests.factories import make_token
from tests.fixtures.evidence import builders as b
from tests.fixtures.evidence.world import LOW_RISK, build

pytestmark = pytest.mark.django_db(transaction=True)
runner = CliRunner()


def run(*args: str, server: Any = None, token: str | None = None) -> Any:
    extra = ["--server", server.url, "--token", token] if server is not None and token is not None else []
    return runner.invoke(app, [*args, *extra], catch_exceptions=False)


def offline_verify(*args: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter whose database is unreachable: verification must not need it."""
    env = {
        **os.environ,
        "FLEETGATE_DATABASE_URL": "postgres://nobody@127.0.0.1:9/unreachable",
        "FLEETGATE_SERVER": "http://127.0.0.1:9",
        "FLEETGATE_TOKEN": "",
    }
    code = "from fleetgate.cli.main import app; app()"
    return subprocess.run(
        [sys.executable, "-c", code, "evidence", "verify", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_add_seal_download_explain_and_verify_offline(live_server: Any, tmp_path: Path) -> None:
    ew = build()
    token = make_token(ew.world.users[Role.PACKAGING_ENGINEER])
    docs = {
        "sbom": b.spdx(ew.sha),
        "vulnerability_scan": b.grype(ew.sha, [("CVE-2026-7", 4.2, "Medium")]),
        "malware_scan": b.malware(ew.sha),
        "signature": b.detached(ew.key, "ed25519", ew.sha),
        "install_facts": b.install_facts(),
        "rollback_plan": b.rollback_plan(),
        "test_evidence": b.lab_results(),
    }
    for kind, doc in docs.items():
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(doc))
        result = run("evidence", "add", str(ew.artifact.pk), str(path), "--kind", kind, server=live_server, token=token)
        assert result.exit_code == 0, result.output
    listing = run("evidence", "list", str(ew.artifact.pk), "--json", server=live_server, token=token)
    rows, _ = json.JSONDecoder().raw_decode(listing.output.lstrip())  # the live server's log lines may follow
    assert {r["kind"]: r["status"] for r in rows}["signature"] == "verified"

    declared = tmp_path / "declared.yaml"
    declared.write_text(yaml.safe_dump(LOW_RISK))
    assessed = run("risk", "assess", ew.intent.name, "-f", str(declared), server=live_server, token=token)
    assert assessed.exit_code == 0, assessed.output
    assert "CAB required: no" in assessed.output
    explained = run("risk", "explain", ew.intent.name, server=live_server, token=token)
    assert "supply_chain_trust" in explained.output
    assert "signed_known_publisher_weak_provenance" in explained.output

    pack_file = tmp_path / "pack.json"
    sealed = run(
        "evidence",
        "seal",
        str(ew.intent.pk),
        str(ew.artifact.pk),
        "-o",
        str(pack_file),
        server=live_server,
        token=token,
    )
    assert sealed.exit_code == 0, sealed.output
    assert pack_file.read_text() == EvidencePack.objects.get().sealed_json
    keys_dir = tmp_path / "keys"
    assert run("evidence", "keys", "--output-dir", str(keys_dir), server=live_server, token=token).exit_code == 0
    key_file = keys_dir / f"{SealKey.objects.get().key_id}.pem"

    ok = offline_verify(str(pack_file), "--public-key", str(key_file))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Pack verified" in ok.stdout

    doc = json.loads(pack_file.read_text())
    doc["body"]["risk"]["score"] = 1
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc))
    bad = offline_verify(str(tampered), "--public-key", str(key_file))
    assert bad.returncode == 2
    assert "check 'content-address' failed" in bad.stderr

    other = tmp_path / "other.pem"
    other.write_text(b.keypair("ed25519")[1])
    wrong = offline_verify(str(pack_file), "--public-key", str(other), "--json")
    assert wrong.returncode == 2
    report, _ = json.JSONDecoder().raw_decode(wrong.stdout.lstrip())  # log lines may follow the report
    assert report["failed_check"] == "seal-key"


def test_incomplete_seal_prints_every_gap(live_server: Any) -> None:
    ew = build()
    token = make_token(ew.world.users[Role.PACKAGING_ENGINEER])
    result = run("evidence", "seal", str(ew.intent.pk), str(ew.artifact.pk), server=live_server, token=token)
    assert result.exit_code == 1
    assert "evidence-incomplete" in result.output
    assert "[sections-present]" in result.output


def test_risk_replay_on_the_host(tmp_path: Path) -> None:
    ew = build()
    ew.add_all()
    row = ew.assess()
    result = run("risk", "replay")
    assert result.exit_code == 0, result.output
    assert "1 assessment(s) replay identically" in result.output
    RiskAssessment.objects.filter(pk=row.pk).update(score=99)
    broken = run("risk", "replay", str(row.pk))
    assert broken.exit_code == 2
    assert "MISMATCH" in broken.output


def test_rule_names_survive_rich_markup() -> None:
    """Regression: `[rule]` in an error line was read as rich markup and vanished from the output."""
    import typer

    from fleetgate.cli.common import handles_errors
    from fleetgate.core.errors import FieldIssue, ValidationFailed

    @handles_errors
    def fail() -> None:
        raise ValidationFailed(
            "Bad [input]", errors=[FieldIssue("bom.json:$.components[0]", "cyclonedx-1.6:enum", "no")]
        )

    probe = typer.Typer()
    probe.command()(fail)
    result = runner.invoke(probe, [])
    assert result.exit_code == 1
    assert "Bad [input]" in result.output
    assert "bom.json:$.components[0]: no [cyclonedx-1.6:enum]" in result.output


def test_seal_by_intent_name_finds_the_only_artifact(live_server: Any) -> None:
    ew = build()
    ew.add_all()
    ew.assess()
    token = make_token(ew.world.users[Role.PACKAGING_ENGINEER])
    sealed = run("evidence", "seal", ew.intent.name, server=live_server, token=token)
    assert sealed.exit_code == 0, sealed.output
    assert EvidencePack.objects.get().artifact_id == ew.artifact.pk
    from fleetgate.catalog import services as catalog
    from tests.factories import upload

    catalog.register_artifact(
        actor=ew.world.actors[Role.PACKAGING_ENGINEER],
        version_id=ew.artifact.version_id,
        platform="macos",
        artifact_format="pkg",
        filename="second.pkg",
        upload=upload(b"another platform"),
    )
    ambiguous = run("evidence", "seal", ew.intent.name, server=live_server, token=token)
    assert ambiguous.exit_code == 1
    assert "name the one to seal" in ambiguous.output


def test_verify_names_the_failed_check_of_a_resigned_pack_without_artifact(tmp_path: Path) -> None:
    """Regression: a re-signed pack whose body has no artifact crashed `evidence verify` with KeyError (exit 1)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fleetgate.evidence import crypto, seal

    private = Ed25519PrivateKey.generate()
    text, _ = seal.seal({"schema": seal.SCHEMA, "sections": {}}, private, crypto.ed25519_key_id(private.public_key()))
    pack = tmp_path / "resigned.json"
    pack.write_text(text)
    result = runner.invoke(app, ["evidence", "verify", str(pack)])
    assert result.exit_code == 2, result.output
    assert "FAIL artifact-binding" in result.output
    assert "check 'artifact-binding' failed" in result.output


def test_add_declares_the_binding_and_prints_warnings(live_server: Any, tmp_path: Path) -> None:
    ew = build()
    token = make_token(ew.world.users[Role.PACKAGING_ENGINEER])
    scan = tmp_path / "fs.json"
    scan.write_text(json.dumps(b.grype_dir([("CVE-2026-8", 2.0, "Low")])))
    result = run(
        "evidence",
        "add",
        str(ew.artifact.pk),
        str(scan),
        "-k",
        "vulnerability_scan",
        "--declare-binding",
        server=live_server,
        token=token,
    )
    assert result.exit_code == 0, result.output
    assert "binding: declared" in result.output
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(b.cyclonedx(ew.sha, n=0)))
    result = run("evidence", "add", str(ew.artifact.pk), str(empty), "-k", "sbom", server=live_server, token=token)
    assert result.exit_code == 0, result.output
    assert "warning: The SBOM lists no components" in result.output
