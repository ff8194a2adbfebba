"""The app bodies Fleetgate creates: win32LobApp (Graph v1.0) and macOSPkgApp (Graph beta), and
their detection.

Win32: only v1.0 properties of win32LobApp / mobileLobApp / mobileApp are sent (`displayVersion` is
beta only and is not). Detection comes from the artifact's install facts (Fleetgate's evidence
`detection_rules`: product_code, file, registry, PowerShell script) or, for a packager-built
.intunewin of an MSI, from its Detection.xml `MsiProductCode`; an app with neither is refused
with `DetectionRequired` before anything is created, since an install could never be detected.

macOS: a .pkg is a `#microsoft.graph.macOSPkgApp`, a type Graph has in beta only. Intune detects
it by the app bundles it installs, so its body is built from the install facts' `macos_bundle`
rules: the first is the primary app (primaryBundleId / primaryBundleVersion, CFBundleIdentifier
and CFBundleShortVersionString), all of them are `includedApps` (`#microsoft.graph.macOSIncludedApp`
{bundleId, bundleVersion}, at most 500); `minimumSupportedOperatingSystem`
(`#microsoft.graph.macOSMinimumOperatingSystem`, one release flag set) is the highest
`minimum_macos` the bundles give, else macOS 11 (`v11_0`); `ignoreVersionDetection` is false (the
bundle version is what tells an upgrade happened). No pre/post-install script is sent. A package
without a bundle rule is refused with `DetectionRequired`; a macOS package that is not a .pkg (a
.dmg is Graph's macOSDmgApp, which Fleetgate does not publish) with `UnsupportedPackage`.
References (checked 2026-12-02): Microsoft Learn, Graph beta "macOSPkgApp resource type", "Create
macOSPkgApp", "macOSIncludedApp resource type", "macOSMinimumOperatingSystem resource type"
(learn.microsoft.com/graph/api/resources/intune-apps-macospkgapp?view=graph-rest-beta and
microsoftgraph/microsoft-graph-docs-contrib api-reference/beta); the property set and release
flags (v10_7 … v15_0, v26_0, v27_0) as generated into msgraph-beta-sdk 1.66.0
(`MacOSPkgApp`, `MacOSIncludedApp`, `MacOSMinimumOperatingSystem`).

Either way the version Fleetgate published is written into `description` (`version <v>;`) so
inventory reads it back the same way for both (v1.0 has no version property for Win32 apps), and
the correlation marker into `notes`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from fleetgate.connectors.base import Artifact, Permanent

WIN32 = "#microsoft.graph.win32LobApp"
MACOS_PKG = "#microsoft.graph.macOSPkgApp"
INCLUDED_APP = "#microsoft.graph.macOSIncludedApp"
MINIMUM_OS = "#microsoft.graph.macOSMinimumOperatingSystem"
DEFAULT_MINIMUM_MACOS = "11.0"
MAX_INCLUDED_APPS = 500
# macOSMinimumOperatingSystem's release flags (Graph beta, msgraph-beta-sdk 1.66.0)
MACOS_FLAGS = (
    *(f"v10_{minor}" for minor in range(7, 16)),
    *(f"v{major}_0" for major in range(11, 16)),
    "v26_0",
    "v27_0",
)
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


def is_macos(artifact: Artifact) -> bool:
    return artifact.platform == "macos"


def _common(artifact: Artifact, marker: str) -> dict[str, Any]:
    """The mobileApp properties both bodies share (the version and the marker Fleetgate reads back)."""
    return {
        "displayName": f"{artifact.name} {artifact.version}",
        "description": (
            f"{artifact.name} {artifact.version}, published by Fleetgate (version {artifact.version}; "
            f"sha256 {artifact.sha256})."
        ),
        "publisher": artifact.publisher or "Unknown",
        "notes": marker,
    }


def win32_body(artifact: Artifact, marker: str, setup_file: str, rule_list: list[dict[str, Any]]) -> dict[str, Any]:
    if is_macos(artifact):
        raise UnsupportedPackage(
            f"intune: {artifact.name} {artifact.version} is a macOS package; it is published as a macOSPkgApp "
            "(Graph beta, `pkg_body`), not as a Win32 app"
        )
    if artifact.platform not in ("windows", ""):
        raise UnsupportedPackage(
            f"intune: Fleetgate publishes Win32 apps and macOS .pkg apps (macOSPkgApp) only, not a "
            f"{artifact.platform} package ({artifact.name} {artifact.version})"
        )
    quoted = f'"{setup_file}"'
    return {
        "@odata.type": WIN32,
        **_common(artifact, marker),
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


# ---- macOS .pkg (macOSPkgApp, Graph beta) -------------------------------------------------


def check_pkg(artifact: Artifact) -> None:
    """Refuse a macOS package Fleetgate cannot publish through Intune: anything but a .pkg."""
    fmt, name = artifact.format.lower(), artifact.filename.lower()
    if fmt == "pkg" or (name.endswith(".pkg") and fmt in ("", "pkg")):
        return
    kind = "a .dmg (Graph's macOSDmgApp)" if fmt == "dmg" or name.endswith(".dmg") else f"a {fmt or 'file'}"
    raise UnsupportedPackage(
        f"intune: {artifact.name} {artifact.version} ({artifact.filename}) is {kind}; Fleetgate publishes a macOS "
        "package to Intune only as a .pkg (macOSPkgApp, Graph beta): build a .pkg of it, or publish it through Jamf"
    )


def bundles(artifact: Artifact) -> list[dict[str, str]]:
    """The install facts' macos_bundle rules as {bundle_id, bundle_version, minimum_macos}, in order."""
    found: list[dict[str, str]] = []
    for fact in artifact.detection_rules:
        if fact.get("type") != "macos_bundle":
            continue
        bundle_id, version = str(fact.get("bundle_id") or "").strip(), str(fact.get("bundle_version") or "").strip()
        if bundle_id and version and all(b["bundle_id"] != bundle_id for b in found):
            minimum = str(fact.get("minimum_macos") or "")
            found.append({"bundle_id": bundle_id, "bundle_version": version, "minimum_macos": minimum})
    if not found:
        kinds = ", ".join(sorted({str(r.get("type")) for r in artifact.detection_rules})) or "none"
        raise DetectionRequired(
            f"intune: {artifact.name} {artifact.version} has no macOS bundle rule (install facts give: {kinds}); "
            'add a detection rule {"type": "macos_bundle", "bundle_id": "<CFBundleIdentifier>", "bundle_version": '
            '"<CFBundleShortVersionString>"} for the app the .pkg installs (one per app bundle it installs, the '
            "primary app first) to its install facts"
        )
    if len(found) > MAX_INCLUDED_APPS:
        raise UnsupportedPackage(
            f"intune: {artifact.name} {artifact.version} names {len(found)} app bundles; a macOSPkgApp includes "
            f"at most {MAX_INCLUDED_APPS}"
        )
    return found


def _release(version: str) -> tuple[int, int]:
    parts = [*version.split("."), "0"][:2]
    try:
        major, minor = int(parts[0]), int(parts[1] or 0)
    except ValueError as exc:
        raise UnsupportedPackage(f"intune: minimum_macos '{version}' is not a macOS release number") from exc
    return (major, minor) if major == 10 else (major, 0)


def minimum_os(found: list[dict[str, str]]) -> dict[str, Any]:
    """macOSMinimumOperatingSystem with the one flag of the highest release the bundles need."""
    given = [_release(b["minimum_macos"]) for b in found if b.get("minimum_macos")]
    major, minor = max(given) if given else _release(DEFAULT_MINIMUM_MACOS)
    flag = f"v{major}_{minor}"
    if flag not in MACOS_FLAGS:
        raise UnsupportedPackage(
            f"intune: Graph's macOSMinimumOperatingSystem has no flag for macOS {major}.{minor} "
            f"(it knows {MACOS_FLAGS[0]} to {MACOS_FLAGS[-1]})"
        )
    return {"@odata.type": MINIMUM_OS, flag: True}


def pkg_body(artifact: Artifact, marker: str, found: list[dict[str, str]]) -> dict[str, Any]:
    primary = found[0]
    return {
        "@odata.type": MACOS_PKG,
        **_common(artifact, marker),
        "fileName": artifact.filename,
        "primaryBundleId": primary["bundle_id"],
        "primaryBundleVersion": primary["bundle_version"],
        "includedApps": [
            {"@odata.type": INCLUDED_APP, "bundleId": b["bundle_id"], "bundleVersion": b["bundle_version"]}
            for b in found
        ],
        "minimumSupportedOperatingSystem": minimum_os(found),
        "ignoreVersionDetection": False,
    }


def version_of(app: Mapping[str, Any]) -> str:
    match = VERSION_IN_DESCRIPTION.search(str(app.get("description") or ""))
    return match.group(1) if match else ""
