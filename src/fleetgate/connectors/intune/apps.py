"""The win32LobApp body Fleetgate creates (Graph v1.0), and its detection rules.

Only v1.0 properties of win32LobApp / mobileLobApp / mobileApp are sent (`displayVersion` is beta
only and is not). Detection comes from the artifact's install facts (Fleetgate's evidence
`detection_rules`: product_code, file, registry, PowerShell script) or, for a packager-built
.intunewin of an MSI, from its Detection.xml `MsiProductCode`; an app with neither is refused
with `DetectionRequired` before anything is created, since an install could never be detected.
The version Fleetgate published is written into `description` (`version <v>;`) so inventory can
read it back from v1.0, which has no version property for Win32 apps.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from fleetgate.connectors.base import Artifact, Permanent

WIN32 = "#microsoft.graph.win32LobApp"
VERSION_IN_DESCRIPTION = re.compile(r"\(version (\S+?);")


class DetectionRequired(Permanent):
    """No detection rule can be derived from the install facts: publishing would never be detected."""


class UnsupportedPackage(Permanent):
    """The artifact cannot be published through Intune with what Fleetgate knows about it."""


def rules(artifact: Artifact, msi_product_code: str = "") -> list[dict[str, Any]]:
    found = [_rule(r) for r in artifact.detection_rules]
    out = [{k: v for k, v in r.items() if v is not None} for r in found if r is not None]
    if not out and msi_product_code:
        out = [{k: v for k, v in _product_code(msi_product_code, "").items() if v is not None}]
    if not out:
        kinds = ", ".join(sorted({str(r.get("type")) for r in artifact.detection_rules})) or "none"
        raise DetectionRequired(
            f"intune: {artifact.name} {artifact.version} has no Windows detection rule (install facts give: {kinds}); "
            "add a product_code, file, registry or powershell detection rule to its install facts"
        )
    return out


def _product_code(code: str, version: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.win32LobAppProductCodeRule",
        "ruleType": "detection",
        "productCode": code,
        "productVersionOperator": "greaterThanOrEqual" if version else "notConfigured",
        "productVersion": version or None,
    }


def _rule(fact: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = fact.get("type")
    if kind == "product_code":
        return _product_code(str(fact["product_code"]), str(fact.get("version_at_least") or ""))
    if kind == "file":
        path = str(fact["path"]).replace("/", "\\")
        folder, _, name = path.rpartition("\\")
        version = str(fact.get("version_at_least") or "")
        return {
            "@odata.type": "#microsoft.graph.win32LobAppFileSystemRule",
            "ruleType": "detection",
            "path": folder or "\\",
            "fileOrFolderName": name,
            "check32BitOn64System": False,
            "operationType": "version" if version else "exists",
            "operator": "greaterThanOrEqual" if version else "notConfigured",
            "comparisonValue": version or None,
        }
    if kind == "registry":
        expected = str(fact.get("expected") or "")
        return {
            "@odata.type": "#microsoft.graph.win32LobAppRegistryRule",
            "ruleType": "detection",
            "check32BitOn64System": False,
            "keyPath": str(fact["key"]),
            "valueName": str(fact.get("value_name") or "") or None,
            "operationType": "string" if expected else "exists",
            "operator": "equal" if expected else "notConfigured",
            "comparisonValue": expected or None,
        }
    if kind == "script" and fact.get("language") == "powershell":
        return {
            "@odata.type": "#microsoft.graph.win32LobAppPowerShellScriptRule",
            "ruleType": "detection",
            "displayName": None,
            "enforceSignatureCheck": False,
            "runAs32Bit": False,
            "runAsAccount": None,
            "scriptContent": base64.b64encode(str(fact["script"]).encode()).decode(),
            "operationType": "notConfigured",
            "operator": "notConfigured",
            "comparisonValue": None,
        }
    return None  # shell / zsh scripts cannot detect anything on Windows


def win32_body(artifact: Artifact, marker: str, setup_file: str, rule_list: list[dict[str, Any]]) -> dict[str, Any]:
    if artifact.platform not in ("windows", ""):
        raise UnsupportedPackage(
            f"intune: Fleetgate publishes Win32 apps only; a {artifact.platform} package needs macOSPkgApp (beta), "
            "whose primaryBundleId, primaryBundleVersion and includedApps the install facts do not carry"
        )
    quoted = f'"{setup_file}"'
    return {
        "@odata.type": WIN32,
        "displayName": f"{artifact.name} {artifact.version}",
        "description": (
            f"{artifact.name} {artifact.version}, published by Fleetgate (version {artifact.version}; "
            f"sha256 {artifact.sha256})."
        ),
        "publisher": artifact.publisher or "Unknown",
        "notes": marker,
        "fileName": f"{artifact.filename.rsplit('.', 1)[0]}.intunewin",
        "setupFilePath": setup_file,
        "installCommandLine": artifact.install_command or f"msiexec /i {quoted} /qn",
        "uninstallCommandLine": artifact.uninstall_command or f"msiexec /x {quoted} /qn",
        "allowedArchitectures": "x64",
        "minimumSupportedWindowsRelease": "1607",
        "installExperience": {
            "@odata.type": "#microsoft.graph.win32LobAppInstallExperience",
            "runAsAccount": "system",
            "deviceRestartBehavior": "suppress",
        },
        "returnCodes": [
            {"@odata.type": "#microsoft.graph.win32LobAppReturnCode", "returnCode": 0, "type": "success"},
            {"@odata.type": "#microsoft.graph.win32LobAppReturnCode", "returnCode": 3010, "type": "softReboot"},
        ],
        "rules": rule_list,
    }


def version_of(app: Mapping[str, Any]) -> str:
    match = VERSION_IN_DESCRIPTION.search(str(app.get("description") or ""))
    return match.group(1) if match else ""
