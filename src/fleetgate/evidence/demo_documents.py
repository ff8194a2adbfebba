"""The demo's evidence documents, in the published shapes, signed with a demo publisher key.

Pure data: no Django import, so an API client builds the same documents as `fleetgate seed-demo` (the
bench attaches them through the REST API). demo.py attaches them through the services."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

if TYPE_CHECKING:
    from fleetgate.catalog.models import Artifact

DEFAULT_FINDINGS = [("CVE-2026-0001", 5.3, "MEDIUM")]
# Declared risk factors that score low with rubric v1.0: no CAB unless the application is privileged.
LOW_RISK = {
    "privilege_impact": {"option": "user_context", "justification": "Runs as the signed-in user."},
    "exploitability": {"option": "no_listener_no_scripting", "justification": "No listener, no scripting."},
    "data_access": {"option": "own_data_directory", "justification": "Writes only its own folder."},
    "operational_complexity": {"option": "online_no_reboot_under_5_min", "justification": "Two minutes, no reboot."},
}


@dataclass(frozen=True)
class Subject:
    """What the documents describe of an artifact: its model's fields, or an API client's view of them
    (the bench attaches the same evidence through the REST API)."""

    sha256: str
    filename: str
    platform: str
    format: str
    name: str  # the application's
    version: str

    @classmethod
    def of(cls, artifact: Artifact) -> Subject:
        version = artifact.version
        name = version.application.name
        return cls(artifact.sha256, artifact.filename, artifact.platform, artifact.format, name, version.version)


def _detection(artifact: Subject) -> dict[str, Any]:
    """How a plane detects the demo install: an MSI by its product code (stable per artifact), else a file."""
    if artifact.platform == "windows" and artifact.format == "msi":
        h = artifact.sha256.upper()
        return {"type": "product_code", "product_code": f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}}}"}
    return {"type": "file", "path": f"/opt/{artifact.name}/VERSION", "version_at_least": artifact.version}


def documents(artifact: Subject, key: Ed25519PrivateKey, findings: list[tuple[str, float, str]]) -> dict[str, Any]:
    sha, name, version = artifact.sha256, artifact.name, artifact.version
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
            "detection_rules": [_detection(artifact)],
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
