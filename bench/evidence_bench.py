"""Evidence pack benchmark: ingest, seal and verify a pack with a 5,000-component CycloneDX SBOM and a
2,000-finding Trivy scan. Pure functions, no database or server: `.venv/bin/python bench/evidence_bench.py`
(`--components/--findings/--rounds` for another size; the smoke test runs it small)."""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.evidence import completeness, crypto, facts, scans, seal, signatures, verify
from fleetgate.evidence import sbom as sboms
from fleetgate.evidence.documents import Kind

COMPONENTS, FINDINGS, ROUNDS = 5000, 2000, 5
ARTIFACT = hashlib.sha256(b"benchmark artifact").hexdigest()


def sbom_doc() -> bytes:
    components = [
        {
            "type": "library",
            "bom-ref": f"pkg:npm/c{i}@1.{i % 50}.0",
            "name": f"c{i}",
            "version": f"1.{i % 50}.0",
            "purl": f"pkg:npm/c{i}@1.{i % 50}.0",
            "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(str(i).encode()).hexdigest()}],
            "licenses": [{"license": {"id": "MIT"}}],
        }
        for i in range(COMPONENTS)
    ]
    meta = {
        "component": {
            "type": "application",
            "name": "app",
            "version": "1.0.0",
            "hashes": [{"alg": "SHA-256", "content": ARTIFACT}],
        }
    }
    return json.dumps(
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "metadata": meta, "components": components}
    ).encode()


def scan_doc() -> bytes:
    labels = ["LOW", "MEDIUM"]
    vulns = [
        {
            "VulnerabilityID": f"CVE-2026-{i:05d}",
            "PkgName": f"c{i % COMPONENTS}",
            "InstalledVersion": "1.0.0",
            "FixedVersion": "1.0.1",
            "Severity": labels[i % 2],
            "CVSS": {"nvd": {"V3Score": 3.1 if i % 2 == 0 else 5.5}},
        }
        for i in range(FINDINGS)
    ]
    return json.dumps(
        {
            "SchemaVersion": 2,
            "ArtifactName": f"app@sha256:{ARTIFACT}",
            "Results": [{"Target": "app", "Vulnerabilities": vulns}],
        }
    ).encode()


def timed(label: str, fn: Callable[[], Any], rounds: int | None = None) -> Any:
    """Median wall time over `rounds`; peak Python allocation measured in one extra traced round."""
    times = []
    for _ in range(ROUNDS if rounds is None else rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times.sort()
    median, fastest = times[len(times) // 2] * 1000, times[0] * 1000
    print(f"{label:36} median {median:8.1f} ms  min {fastest:8.1f} ms  peak alloc {peak / 2**20:6.1f} MiB")
    return result


def main() -> None:
    global COMPONENTS, FINDINGS, ROUNDS  # the documents' sizes are read where they are built
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=COMPONENTS, help="SBOM components")
    parser.add_argument("--findings", type=int, default=FINDINGS, help="scan findings")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed rounds of each step")
    args = parser.parse_args()
    COMPONENTS, FINDINGS, ROUNDS = args.components, args.findings, args.rounds
    now = datetime.now(UTC)
    raw_sbom, raw_scan = sbom_doc(), scan_doc()
    print(
        f"SBOM {len(raw_sbom) / 2**20:.1f} MiB ({COMPONENTS} components), "
        f"scan {len(raw_scan) / 2**20:.1f} MiB ({FINDINGS} findings), {ROUNDS} rounds"
    )
    parsed_sbom = timed(
        "ingest: CycloneDX 1.6 validate+parse", lambda: sboms.parse(raw_sbom, "bom.json"), rounds=min(2, ROUNDS)
    )
    parsed_scan = timed("ingest: Trivy parse+normalise", lambda: scans.parse(raw_scan, "trivy.json"))
    key = Ed25519PrivateKey.generate()
    pem = crypto.public_pem(key.public_key())
    trusted = [crypto.TrustedKey("k", "bench", "Bench", "public_key", pem, now)]
    sig_doc = {
        "type": "detached",
        "algorithm": "ed25519",
        "signature": __import__("base64").b64encode(key.sign(bytes.fromhex(ARTIFACT))).decode(),
    }
    parsed = {
        Kind.SBOM: parsed_sbom,
        Kind.VULNERABILITY_SCAN: parsed_scan,
        Kind.MALWARE_SCAN: scans.parse_malware(
            json.dumps({"scanner": "clamav", "target_sha256": ARTIFACT, "result": "clean"}).encode(), "av.json"
        ),
        Kind.SIGNATURE: signatures.verify_detached(
            signatures.parse(json.dumps(sig_doc).encode(), "sig.json"), ARTIFACT, trusted, now
        ),  # type: ignore[arg-type]
        Kind.INSTALL_FACTS: facts.parse(
            Kind.INSTALL_FACTS,
            json.dumps(
                {
                    "install_command": "i",
                    "uninstall_command": "u",
                    "detection_rules": [{"type": "file", "path": "C:/a"}],
                    "exit_codes": {"0": "success"},
                    "reboot": "none",
                    "install_time_seconds": 60,
                }
            ).encode(),
            "f.json",
        ),
        Kind.ROLLBACK_PLAN: facts.parse(
            Kind.ROLLBACK_PLAN,
            json.dumps(
                {
                    "rollback_version": "0.9.0",
                    "strategies": {"intune": "supersede"},
                    "validated": True,
                    "lab_evidence": [{"scenario": "r", "result": "passed"}],
                }
            ).encode(),
            "r.json",
        ),
        Kind.TEST_EVIDENCE: facts.parse(
            Kind.TEST_EVIDENCE,
            json.dumps(
                {
                    "lab_scenarios": [{"name": "i", "result": "passed"}],
                    "ring0_results": {"attempted": 5, "succeeded": 5, "failed": 0},
                }
            ).encode(),
            "t.json",
        ),
    }
    body = {
        "schema": seal.SCHEMA,
        "version": 1,
        "artifact": {"id": "bench", "sha256": ARTIFACT},
        "sections": {
            str(k): [
                {
                    "evidence_id": str(k),
                    "filename": str(k),
                    "document_sha256": "0" * 64,
                    "format": p.format,
                    "status": p.status,
                    "summary": p.summary,
                }
            ]
            for k, p in parsed.items()
        },
        "risk": {"score": 22, "cab_required": False},
        "exceptions": [],
        "cab_submission": {"required": False, "present": False},
        "sealed_at": now.isoformat(),
    }
    assert not completeness.check(body)
    text, digest = timed(
        "seal: RFC 8785 + SHA-256 + Ed25519", lambda: seal.seal(body, key, crypto.ed25519_key_id(key.public_key()))
    )
    print(f"sealed pack {len(text) / 2**20:.1f} MiB, sha256 {digest}")
    report = timed("verify: offline, pinned key", lambda: verify.verify(text, [pem]))
    if not report.ok:
        sys.exit(f"verification failed: {report.as_dict()}")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
