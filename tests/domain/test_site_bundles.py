"""Air-gap bundles at central: export an approved intent for a site, verify it offline, and refuse every
kind of tampering naming the check that caught it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.approvals import services as approvals
from fleetgate.core import keys
from fleetgate.core.roles import Role
from fleetgate.evidence import crypto
from fleetgate.sites import bundlefile as bf
from fleetgate.sites import verify
from fleetgate.sites.models import BundleExport, SiteRingResult
from fleetgate.sites.services import export, importing, registry, results
from fleetgate.sites.services.common import KEY_PURPOSE, BundleRefused, public_key_pem
from tests.domain.rollout_kit import approve, seal
from tests.factories import World, events_of, last_event

R = Role
SITE_KEY = Ed25519PrivateKey.generate()


def central_pem() -> str:
    return public_key_pem()


def make_site(world: World, name: str = "vault-north", **overrides: Any) -> Any:
    data = {
        "name": name,
        "site_class": "air_gapped",
        "boundary": "acme",
        "plane": "landscape",
        "connector_name": "site-plane",
        "time_zone": "Europe/Berlin",
        "public_key_pem": crypto.public_pem(SITE_KEY.public_key()),
        **overrides,
    }
    return registry.create_site(actor=world.actors[R.PLATFORM_ADMIN], data=data)


def approved_intent(world: World, **extra: Any) -> Any:
    """A CAB-approved Linux change targeting online and air-gapped sites (risk high: CAB decides)."""
    sealed = seal(world, platforms=("linux",), high_risk=True, target_site_classes=["online", "air_gapped"], **extra)
    return approve(world, sealed)


@pytest.fixture
def bundle(world: World, tmp_path: Path) -> tuple[Any, Path]:
    intent = approved_intent(world)
    make_site(world)
    path = tmp_path / "bundle.tar"
    export.export_bundle(actor=world.publisher, intent_id=intent.pk, site_name="vault-north", output=path)
    return intent, path


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def write_raw(path: Path, files: dict[str, bytes]) -> None:
    """Write members exactly as given: the tamperer keeps the original manifest and signature."""
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def resign(path: Path, files: dict[str, bytes], key: Ed25519PrivateKey) -> None:
    """An insider who holds a signing key rebuilds the manifest over the changed files and signs it."""
    manifest = json.loads(files.pop(bf.MANIFEST))
    files.pop(bf.SIGNATURE)
    roles = {f["path"]: f["role"] for f in manifest.pop("files")}
    manifest.pop("schema")
    entries = [bf.Entry(name, roles.get(name, "other"), data=data) for name, data in files.items()]
    bf.write(path, manifest, entries, key, crypto.ed25519_key_id(key.public_key()))


def central_key() -> Ed25519PrivateKey:
    return keys.load_or_create(KEY_PURPOSE).private


def test_export_writes_one_signed_bundle_that_verifies_offline(world: World, bundle: tuple[Any, Path]) -> None:
    intent, path = bundle
    report = verify.verify(path, [central_pem()], site="vault-north")
    assert report.ok, report.as_dict()
    assert [c.name for c in report.checks] == [
        "format",
        "manifest-signature",
        "artifact-digest",
        "file-digests",
        "ledger-slice",
        "evidence-pack",
        "approvals",
        "policy-versions",
        "vulnerability-snapshot",
        "site",
    ]
    names = set(members(path))
    assert {"manifest.json", "manifest.sig", "approvals.json", "ledger/slice.jsonl"} <= names
    assert {"policy/ring-policy.json", "policy/risk-rubric.json", "policy/distribution-policy.json"} <= names
    assert any(n.startswith("artifacts/") for n in names)
    assert any(n.startswith("evidence/pack-") for n in names)
    manifest = report.manifest
    assert manifest["intent"]["name"] == intent.name
    assert manifest["versions"]["ring_policy"]["version"] == intent.ring_policy.version
    assert manifest["vulnerability_snapshot"]["max_age_days"] == 7
    record = json.loads(members(path)["approvals.json"])
    assert [d["kind"] for r in record["cab_requests"] for d in r["decisions"]] == ["approve"]
    row = BundleExport.objects.get()
    assert row.manifest_sha256 == report.manifest_sha256
    assert "bundle.exported" in events_of(intent.pk)
    assert verify.verify(path, [central_pem()], site="vault-south").failed == ["site"]


def test_a_changed_byte_in_an_artifact_is_refused_by_the_artifact_digest(bundle: tuple[Any, Path]) -> None:
    _, path = bundle
    files = members(path)
    name = next(n for n in files if n.startswith("artifacts/"))
    files[name] = bytes([files[name][0] ^ 1]) + files[name][1:]
    write_raw(path, files)
    assert verify.verify(path, [central_pem()]).failed == ["artifact-digest"]


def test_a_removed_approval_is_refused_even_when_re_signed_with_the_trusted_key(bundle: tuple[Any, Path]) -> None:
    _, path = bundle
    files = members(path)
    record = json.loads(files["approvals.json"])
    record["cab_requests"][0]["decisions"] = []
    files["approvals.json"] = bf.canonical(record)
    write_raw(path, {**files})
    plain = verify.verify(path, [central_pem()])
    assert plain.failed == ["file-digests", "approvals"]
    resign(path, files, central_key())
    report = verify.verify(path, [central_pem()])
    assert report.failed == ["approvals"]
    message = next(c.message for c in report.checks if c.name == "approvals")
    assert "removed" in message
    assert "quorum" in message
    files = members(path)
    del files["approvals.json"]
    resign(path, files, central_key())
    assert verify.verify(path, [central_pem()]).failed == ["approvals"]


def test_a_manifest_re_signed_with_another_key_is_not_trusted(bundle: tuple[Any, Path]) -> None:
    _, path = bundle
    resign(path, members(path), Ed25519PrivateKey.generate())
    report = verify.verify(path, [central_pem()])
    assert report.failed == ["manifest-signature"]
    assert "manifest signature: key" in report.checks[1].message
    assert "is not trusted" in report.checks[1].message
    untrusted = verify.verify(path, [])
    assert untrusted.failed == ["manifest-signature"]


def test_an_altered_ledger_event_breaks_the_slice(bundle: tuple[Any, Path]) -> None:
    _, path = bundle
    files = members(path)
    lines = files["ledger/slice.jsonl"].decode().splitlines()
    event = json.loads(lines[1])
    event["reason"] = "rewritten"
    lines[1] = json.dumps(event)
    files["ledger/slice.jsonl"] = ("\n".join(lines) + "\n").encode()
    resign(path, files, central_key())
    report = verify.verify(path, [central_pem()])
    assert "ledger-slice" in report.failed
    assert "does not match its hash" in next(c.message for c in report.checks if c.name == "ledger-slice")


def test_a_stale_snapshot_is_refused_at_export_and_at_verify_unless_an_exception_covers_it(
    world: World, bundle: tuple[Any, Path], tmp_path: Path
) -> None:
    intent, path = bundle
    later = datetime.now(UTC) + timedelta(days=8)
    stale = verify.verify(path, [central_pem()], now=later)
    assert stale.failed == ["vulnerability-snapshot"]
    assert "scope exception 'stale-vuln-snapshot:vault-north'" in stale.checks[-1].message
    db = tmp_path / "trivy-db.tar.gz"
    db.write_bytes(os.urandom(64))
    old = datetime.now(UTC) - timedelta(days=10)
    with pytest.raises(BundleRefused) as refused:
        export.export_bundle(
            actor=world.publisher,
            intent_id=intent.pk,
            site_name="vault-north",
            output=tmp_path / "stale.tar",
            vuln_db=db,
            vuln_db_date=old,
        )
    assert refused.value.errors[0].field == "vulnerability-snapshot"
    exception = approvals.request_exception(
        actor=world.publisher,
        data={
            "kind": "scope",
            "intent": str(intent.pk),
            "subject": "stale-vuln-snapshot:vault-north",
            "justification": "The site's transfer window opens monthly.",
            "compensating_controls": "The site has no network; the next window brings a fresh database.",
            "owner": world.users[R.PUBLISHER].username,
            "expires_in_days": 14,
        },
    )
    approvals.approve_exception(actor=world.actors[R.SECURITY_REVIEWER], exception_id=exception.pk, reason="ok")
    approvals.approve_exception(actor=world.actors[R.CAB_APPROVER], exception_id=exception.pk, reason="ok")
    covered = tmp_path / "covered.tar"
    export.export_bundle(
        actor=world.publisher,
        intent_id=intent.pk,
        site_name="vault-north",
        output=covered,
        vuln_db=db,
        vuln_db_date=old,
    )
    report = verify.verify(covered, [central_pem()])
    assert report.ok, report.as_dict()
    assert f"exception {exception.pk} covers it" in report.checks[-1].message
    assert "vuln/trivy-db.tar.gz" in members(covered)


def test_export_refuses_what_may_not_go_to_the_site(world: World, tmp_path: Path) -> None:
    draft = world.intent(target_site_classes=["online", "air_gapped"])
    make_site(world)
    make_site(world, "branch-online", site_class="online", public_key_pem="")
    with pytest.raises(Exception, match="only an approved change is shipped"):
        export.export_bundle(actor=world.publisher, intent_id=draft.pk, site_name="vault-north", output=tmp_path / "x")
    intent = approved_intent(world, ring_plan=[{"ring": "lab", "target_group": "FG-LAB", "device_count": 8}])
    with pytest.raises(Exception, match="served by their connector"):
        export.export_bundle(
            actor=world.publisher, intent_id=intent.pk, site_name="branch-online", output=tmp_path / "y"
        )
    with pytest.raises(Exception, match=r"bundle\.export"):
        export.export_bundle(
            actor=world.actors[R.AUDITOR], intent_id=intent.pk, site_name="vault-north", output=tmp_path / "z"
        )


def test_bundle_verify_needs_no_database_and_no_django(bundle: tuple[Any, Path], tmp_path: Path) -> None:
    _, path = bundle
    key = tmp_path / "central.pem"
    key.write_text(central_pem())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEETGATE_", "DJANGO"))}
    env["FLEETGATE_DATA_DIR"] = str(tmp_path / "nowhere")
    env["FLEETGATE_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/absent"
    code = (
        "import sys; from pathlib import Path; from fleetgate.sites import verify; "
        f"r = verify.verify(Path({str(path)!r}), [Path({str(key)!r}).read_text()]); "
        "assert r.ok, r.as_dict(); assert not [m for m in sys.modules if m.startswith('django')]; print('pure ok')"
    )
    pure = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert pure.returncode == 0, pure.stderr
    cli = [sys.executable, "-m", "fleetgate.cli.main", "bundle", "verify", str(path), "--trust", str(key)]
    ok = subprocess.run(cli, env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Bundle verified" in ok.stdout
    other = tmp_path / "other.pem"
    other.write_text(crypto.public_pem(Ed25519PrivateKey.generate().public_key()))
    refused = subprocess.run([*cli[:-1], str(other)], env=env, capture_output=True, text=True, check=False)
    assert refused.returncode == 2
    assert "manifest-signature" in refused.stdout + refused.stderr
    assert "Next:" in refused.stdout


def results_bundle(path: Path, exported: Any, key: Ed25519PrivateKey, rings: dict[str, Any]) -> Path:
    """What the site's `results-export` writes, signed with `key`."""
    metadata = {
        "kind": "results",
        "bundle_id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC).isoformat(),
        "answers": str(exported.pk),
        "intent": {"id": str(exported.intent_id), "name": exported.intent.name},
        "site": {"name": "vault-north", "site_class": "air_gapped", "boundary": "acme"},
    }
    entries = [bf.Entry("results.json", "results", data=bf.canonical({"rings": rings}))]
    bf.write(path, metadata, entries, key, crypto.ed25519_key_id(key.public_key()))
    return path


def test_import_refuses_an_untrusted_bundle_and_records_the_refusal(world: World, bundle: tuple[Any, Path]) -> None:
    _, path = bundle
    with pytest.raises(BundleRefused) as refused:
        importing.import_bundle(actor=world.actors[R.ENDPOINT_OPS], path=path)
    assert [e.field for e in refused.value.errors] == ["manifest-signature"]
    assert last_event().action == "bundle.refused"
    assert last_event().after["failed_checks"] == ["manifest-signature"]


def test_results_are_taken_only_from_the_sites_key_for_a_bundle_sent_there(
    world: World, bundle: tuple[Any, Path], tmp_path: Path
) -> None:
    intent, _ = bundle
    exported = BundleExport.objects.get()
    counts = {"lab": {"installed": 5, "failed": 0, "pending": 1, "not_applicable": 0, "total": 6}}
    ops = world.actors[R.ENDPOINT_OPS]
    forged = results_bundle(tmp_path / "forged.tar", exported, Ed25519PrivateKey.generate(), counts)
    with pytest.raises(BundleRefused) as refused:
        results.import_results(actor=ops, path=forged)
    assert [e.field for e in refused.value.errors] == ["manifest-signature"]
    signed = results_bundle(tmp_path / "results.tar", exported, SITE_KEY, counts)
    assert verify.verify(signed, [crypto.public_pem(SITE_KEY.public_key())], kind="results").ok
    with pytest.raises(Exception, match="no rollout here yet"):
        results.import_results(actor=ops, path=signed)
    assert not SiteRingResult.objects.exists()
    unknown = results_bundle(tmp_path / "other.tar", exported, SITE_KEY, counts)
    BundleExport.objects.filter(pk=exported.pk).update(site=make_site(world, "vault-south"))
    with pytest.raises(BundleRefused, match="not exported from here"):
        results.import_results(actor=ops, path=unknown)
    assert intent.state == "approved"
