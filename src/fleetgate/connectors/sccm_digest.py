"""The application digest (SDMPackageXML, AppMgmtDigest schema) an SMS_Application is created from, and
the content placed at the content source its deployment type references.

Shape (namespace ``http://schemas.microsoft.com/SystemCenterConfigurationManager/2009/AppMgmtDigest``):
``AppMgmtDigest/Application`` with the identity attributes AuthoringScopeId (``ScopeId_<site GUID>``),
LogicalName (``Application_<GUID>``) and Version, its DisplayInfo (Title, Description, Publisher,
Version), the DeploymentTypes reference, Title, Description, Publisher and SoftwareVersion; then
``AppMgmtDigest/DeploymentType`` (same identity attributes, ``DeploymentType_<GUID>``) with Title,
DeploymentTechnology ``GLOBAL/ScriptDeploymentTechnology``, Technology ``Script``, Hosting ``Native``
and an ``Installer Technology="Script"``: Contents/Content (ContentId, File Name/Size, Location = the
UNC folder), DetectAction (Provider Script, a PowerShell detection script built from the install
facts' detection rules: product code, file, registry or a PowerShell rule), InstallAction and
UninstallAction (Provider Script, InstallCommandLine / UninstallCommandLine, ExecutionContext
System) and CustomData (DetectionMethod Script, DetectionScript, InstallCommandLine,
UninstallCommandLine, the exit codes).

The logical names derive from the idempotency key (uuid5), so the application a crashed publish
created is found again by its ModelName (``<AuthoringScopeId>/<LogicalName>``); the correlation
marker sits in the digest's Description (the application's administrator comment), which the
provider surfaces as LocalizedDescription.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fleetgate.connectors.base import Artifact, Permanent

NS = "http://schemas.microsoft.com/SystemCenterConfigurationManager/2009/AppMgmtDigest"
IDS = uuid.UUID("8f0d6b7e-5a3c-4c36-9a8e-0c4f7d1e2b90")  # namespace of Fleetgate's logical names
EXIT_CODES = (
    ("0", "Success"),
    ("1707", "Success"),
    ("3010", "SoftReboot"),
    ("1641", "HardReboot"),
    ("1618", "FastRetry"),
)


def _guid(key: str, part: str) -> str:
    return str(uuid.uuid5(IDS, f"{key}/{part}"))


@dataclass(frozen=True)
class Identity:
    scope: str  # ScopeId_<site GUID>
    application: str  # Application_<GUID>
    deployment_type: str  # DeploymentType_<GUID>
    content: str  # Content_<GUID>

    @classmethod
    def of(cls, site_id: str, key: str) -> Identity:
        return cls(
            f"ScopeId_{site_id.strip('{}').upper()}",
            f"Application_{_guid(key, 'application')}",
            f"DeploymentType_{_guid(key, 'deployment-type')}",
            f"Content_{_guid(key, 'content')}",
        )

    @property
    def model_name(self) -> str:
        return f"{self.scope}/{self.application}"


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", part).strip("._") or "app"


def content_folder(share: str, artifact: Artifact, identity: Identity) -> str:
    """The UNC folder of this publish's content: <share>\\Fleetgate\\<name>\\<version>_<content guid>\\."""
    share = share.rstrip("\\")
    if not re.fullmatch(r"\\\\[^\\/]+\\[^\\/]+(\\[^\\/]+)*", share):
        raise Permanent(f"sccm: content_share must be a UNC path (\\\\server\\share[\\folder]), got {share!r}")
    leaf = f"{_safe(artifact.version)}_{identity.content.removeprefix('Content_')[:8]}"
    return f"{share}\\Fleetgate\\{_safe(artifact.name)}\\{leaf}\\"


UNINSTALL_KEYS = (
    "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
    "HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
)


def _ps(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _at_least(expression: str, version: str) -> str:
    if not version:
        return f"[bool]({expression})"
    return f"$(try {{ [version]({expression}) -ge [version]{_ps(version)} }} catch {{ $false }})"


def _check(rule: Mapping[str, Any]) -> str | None:
    kind, version = rule.get("type"), str(rule.get("version_at_least") or "")
    if kind == "product_code":
        keys = ",".join(_ps(f"{k}\\{rule['product_code']}") for k in UNINSTALL_KEYS)
        entry = f"(Get-ItemProperty -LiteralPath {keys} -ErrorAction SilentlyContinue | Select-Object -First 1)"
        return _at_least(f"{entry}.DisplayVersion", version) if version else f"[bool]{entry}"
    if kind == "file":
        path = _ps(str(rule["path"]).replace("/", "\\"))
        if not version:
            return f"(Test-Path -LiteralPath {path})"
        return _at_least(f"(Get-Item -LiteralPath {path} -ErrorAction Stop).VersionInfo.FileVersion", version)
    if kind == "registry":
        key, name = _ps(f"Registry::{rule['key']}"), str(rule.get("value_name") or "")
        if not name:
            return f"(Test-Path -LiteralPath {key})"
        value = f"(Get-ItemProperty -LiteralPath {key} -Name {_ps(name)} -ErrorAction SilentlyContinue).{_ps(name)}"
        return f"({value} -eq {_ps(rule['expected'])})" if rule.get("expected") else f"($null -ne {value})"
    return None


def detection_script(artifact: Artifact) -> str:
    """The PowerShell detection script (output + exit 0 = installed) from the install facts' rules: a
    PowerShell rule as given, else product code / file / registry checks all holding; with none, an
    uninstall entry carrying the app's name and version."""
    for rule in artifact.detection_rules:
        if rule.get("type") == "script" and rule.get("language") == "powershell":
            return str(rule["script"])
    checks = [c for c in (_check(r) for r in artifact.detection_rules) if c]
    if not checks:
        keys = ",".join(_ps(f"{k}\\*") for k in UNINSTALL_KEYS)
        found = (
            f"Get-ItemProperty -Path {keys} -ErrorAction SilentlyContinue | Where-Object "
            f"{{ $_.DisplayName -like {_ps(artifact.name + '*')} -and $_.DisplayVersion -eq {_ps(artifact.version)} }}"
        )
        checks = [f"[bool]({found})"]
    return f"if ({' -and '.join(checks)}) {{ Write-Output 'Installed' }}\n"


def commands(artifact: Artifact) -> tuple[str, str]:
    install = artifact.install_command or (
        f'msiexec /i "{artifact.filename}" /qn /norestart' if artifact.format == "msi" else f'"{artifact.filename}"'
    )
    uninstall = artifact.uninstall_command or (
        f'msiexec /x "{artifact.filename}" /qn /norestart' if artifact.format == "msi" else ""
    )
    return install, uninstall


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _action(parent: ET.Element, tag: str, args: list[tuple[str, str, str]]) -> None:
    action = _sub(parent, tag)
    _sub(action, "Provider", "Script")
    holder = _sub(action, "Args")
    for name, kind, value in args:
        _sub(holder, "Arg", value, Name=name, Type=kind)


def build(artifact: Artifact, identity: Identity, location: str, size: int, marker: str) -> str:
    """The SDMPackageXML for `artifact`: one Script deployment type whose content is at `location`."""
    ET.register_namespace("", NS)
    title = f"{artifact.name} {artifact.version}"
    description = f"Published by Fleetgate. sha256 {artifact.sha256}. {marker}"
    install, uninstall = commands(artifact)
    script = detection_script(artifact)
    ident = {"AuthoringScopeId": identity.scope, "Version": "1"}

    root = ET.Element(f"{{{NS}}}AppMgmtDigest")
    app = _sub(root, "Application", LogicalName=identity.application, **ident)
    info = _sub(_sub(app, "DisplayInfo", DefaultLanguage="en-US"), "Info", Language="en-US")
    _sub(info, "Title", title)
    _sub(info, "Description", description)
    _sub(info, "Publisher", artifact.publisher)
    _sub(info, "Version", artifact.version)
    refs = _sub(app, "DeploymentTypes")
    _sub(refs, "DeploymentType", LogicalName=identity.deployment_type, **ident)
    _sub(app, "Title", title, ResourceId=f"Res_{_guid(identity.application, 'title')}")
    _sub(app, "Description", description, ResourceId=f"Res_{_guid(identity.application, 'description')}")
    _sub(app, "Publisher", artifact.publisher, ResourceId=f"Res_{_guid(identity.application, 'publisher')}")
    _sub(app, "SoftwareVersion", artifact.version, ResourceId=f"Res_{_guid(identity.application, 'version')}")

    dt = _sub(root, "DeploymentType", LogicalName=identity.deployment_type, **ident)
    _sub(dt, "Title", f"{title} - Script Installer", ResourceId=f"Res_{_guid(identity.deployment_type, 'title')}")
    _sub(dt, "DeploymentTechnology", "GLOBAL/ScriptDeploymentTechnology")
    _sub(dt, "Technology", "Script")
    _sub(dt, "Hosting", "Native")
    installer = _sub(dt, "Installer", Technology="Script")
    _sub(installer, "ExecutionContext", "System")
    content = _sub(_sub(installer, "Contents"), "Content", ContentId=identity.content, Version="1")
    _sub(content, "File", Name=artifact.filename, Size=str(size))
    _sub(content, "Location", location)
    _sub(content, "PeerCache", "true")
    _sub(content, "OnFastNetwork", "Download")
    _sub(content, "OnSlowNetwork", "DoNothing")
    _action(
        installer,
        "DetectAction",
        [("ExecutionContext", "String", "System"), ("ScriptType", "Int32", "0"), ("ScriptBody", "String", script)],
    )
    common = [("ExecutionContext", "String", "System"), ("RequiresElevatedRights", "Boolean", "false")]
    _action(installer, "InstallAction", [("InstallCommandLine", "String", install), *common])
    if uninstall:
        _action(installer, "UninstallAction", [("InstallCommandLine", "String", uninstall), *common])
    custom = _sub(installer, "CustomData")
    _sub(custom, "DetectionMethod", "Script")
    _sub(custom, "DetectionScript", script, Language="PowerShell", Signed="false")
    _sub(custom, "InstallCommandLine", install)
    _sub(custom, "UninstallSetting", "SameAsInstall" if not uninstall else "Different")
    _sub(custom, "UninstallCommandLine", uninstall)
    _sub(custom, "InstallFolderVisibility", "Hidden")
    codes = _sub(custom, "ExitCodes")
    for code, kind in EXIT_CODES:
        _sub(codes, "ExitCode", Code=code, Class=kind)
    _sub(custom, "UserInteractionMode", "Hidden")
    _sub(custom, "AllowUninstall", "true")
    return '<?xml version="1.0" encoding="utf-16"?>' + ET.tostring(root, encoding="unicode")


# ---- content ------------------------------------------------------------------------------


def local_path(share: str, mount: str, unc: str) -> Path:
    """Where the UNC path `unc` under `share` is on this host, the share being mounted at `mount`."""
    share = share.rstrip("\\")
    if not unc.lower().startswith(share.lower() + "\\"):
        raise Permanent(f"sccm: {unc} is not under the content share {share}")
    parts = [p for p in unc[len(share) :].split("\\") if p]
    if any(p in (".", "..") or "/" in p for p in parts):
        raise Permanent(f"sccm: {unc} leaves the content share")
    return Path(mount).joinpath(*PurePosixPath(*parts).parts) if parts else Path(mount)


def place(artifact: Artifact, folder: Path) -> int:
    """Write the artifact's bytes into `folder` (atomically, checked against its sha256); the size.

    Idempotent: a file already there with the same digest is kept (a publish resumed after a crash)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / artifact.filename
    if target.name != artifact.filename or artifact.filename in ("", ".", ".."):
        raise Permanent(f"sccm: {artifact.filename!r} is not a plain file name")
    if artifact.path and target.exists() and _sha256(target) == artifact.sha256:
        return target.stat().st_size
    digest, size = hashlib.sha256(), 0
    partial = folder / f".{artifact.filename}.partial"
    with partial.open("wb") as handle:
        for block in artifact.chunks():
            digest.update(block)
            size += len(block)
            handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
    if artifact.path and digest.hexdigest() != artifact.sha256:
        partial.unlink(missing_ok=True)
        raise Permanent(f"sccm: {artifact.filename} does not match its sha256 {artifact.sha256}: not published")
    os.replace(partial, target)
    return size


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
