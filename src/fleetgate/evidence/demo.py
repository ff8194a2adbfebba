"""A complete, honest set of evidence for a demo artifact (used by `fleetgate seed-demo`): documents in
the published shapes, signed with a demo publisher key, attached through the real services so every
check runs exactly as for a real package. Nothing here is used in production paths."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.catalog.models import Artifact
from fleetgate.catalog.store import store_stream
from fleetgate.core.actors import Actor
from fleetgate.evidence import services


def publisher_key(actor: Actor, publisher: str = "Demo Publisher") -> Ed25519PrivateKey:
    """A fresh Ed25519 publisher key, registered as trusted by `actor` (a Security Reviewer)."""
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    services.register_key(actor=actor, name=f"{publisher} release key", publisher=publisher, pem=pem.decode())
    return key


def _detection(artifact: Artifact, name: str, version: str) -> dict[str, Any]:
    """How a plane detects the demo install: an MSI by its product code (stable per artifact), else a file."""
    if artifact.platform == "windows" and artifact.format == "msi":
        h = artifact.sha256.upper()
        return {"type": "product_code", "product_code": f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}}}"}
    return {"type": "file", "path": f"/opt/{name}/VERSION", "version_at_least": version}


def documents(artifact: Artifact, key: Ed25519PrivateKey, findings: list[tuple[str, float, str]]) -> dict[str, Any]:
    sha = artifact.sha256
    name, version = artifact.version.application.name, artifact.version.version
    return {
        "sbom": {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": {
                "component": {
                    "type": "application",
                    "bom-ref": "app",
                    "name": name,
                    "version": version,
                    "hashes": [{"alg": "SHA-256", "content": sha}],
                }
            },
            "components": [
                {
                    "type": "library",
                    "bom-ref": "zlib",
                    "name": "zlib",
                    "version": "1.3.1",
                    "purl": "pkg:generic/zlib@1.3.1",
                }
            ],
        },
        "vulnerability_scan": {
            "SchemaVersion": 2,
            "ArtifactName": f"{artifact.filename}@sha256:{sha}",
            "ArtifactType": "filesystem",
            "Results": [
                {
                    "Target": artifact.filename,
                    "Vulnerabilities": [
                        {
                            "VulnerabilityID": vid,
                            "PkgName": "zlib",
                            "InstalledVersion": "1.3.1",
                            "FixedVersion": "1.3.2",
                            "Severity": label,
                            "CVSS": {"nvd": {"V3Score": score}},
                        }
                        for vid, score, label in findings
                    ],
                }
            ],
        },
        "malware_scan": {"scanner": "clamav", "scanner_version": "1.3.1", "target_sha256": sha, "result": "clean"},
        "signature": {
            "type": "detached",
            "algorithm": "ed25519",
            "signature": base64.b64encode(key.sign(bytes.fromhex(sha))).decode(),
        },
        "install_facts": {
            "install_command": f"install {artifact.filename} --quiet",
            "uninstall_command": f"uninstall {name} --quiet",
            "detection_rules": [_detection(artifact, name, version)],
            "exit_codes": {"0": "success", "3010": "success_reboot", "1603": "failure"},
            "reboot": "none",
            "install_time_seconds": 120,
        },
        "rollback_plan": {
            "rollback_version": "previous",
            "strategies": {"intune": "supersede"},
            "validated": True,
            "lab_evidence": [{"scenario": "rollback in lab", "result": "passed"}],
        },
        "test_evidence": {
            "lab_scenarios": [{"name": "install", "result": "passed"}, {"name": "uninstall", "result": "passed"}],
            "ring0_results": {"attempted": 8, "succeeded": 8, "failed": 0},
        },
    }


def attach(
    actor: Actor, artifact: Artifact, key: Ed25519PrivateKey, findings: list[tuple[str, float, str]] | None = None
) -> None:
    """Attach every required section (a Packaging Engineer's actor)."""
    for kind, doc in documents(artifact, key, findings or [("CVE-2026-0001", 5.3, "MEDIUM")]).items():
        upload = store_stream(io.BytesIO(json.dumps(doc).encode()), 1024 * 1024)
        services.add_evidence(actor=actor, artifact_id=artifact.pk, kind=kind, filename=f"{kind}.json", upload=upload)
