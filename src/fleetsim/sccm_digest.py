"""What the simulated SMS Provider reads from an application digest (SDMPackageXML) on create.

The SMS Provider derives an SMS_Application's read-only properties from its digest: Title ->
LocalizedDisplayName, Description -> LocalizedDescription, Publisher -> Manufacturer,
SoftwareVersion, AuthoringScopeId/LogicalName -> ModelName. It refuses a digest that is not the
AppMgmtDigest schema's shape (namespace, Application identity, at least one DeploymentType that the
Application references, an Installer with content, an install command and a detection method), and
one whose content source it cannot read (the UNC Location, here mapped onto a local directory that
stands in for the share).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

NS = "http://schemas.microsoft.com/SystemCenterConfigurationManager/2009/AppMgmtDigest"
TECHNOLOGIES = ("Script", "MSI")
DETECTION = ("Script", "ProductCode", "Enhanced")


class DigestError(ValueError):
    """The digest is refused; the message is the provider's."""


@dataclass(frozen=True)
class Digest:
    scope: str
    logical_name: str
    title: str
    description: str
    publisher: str
    version: str
    deployment_types: int
    technology: str
    file_name: str
    file_size: int
    location: str
    install: str
    uninstall: str
    detection: str

    @property
    def model_name(self) -> str:
        return f"{self.scope}/{self.logical_name}"


def _find(node: ET.Element, path: str) -> ET.Element | None:
    return node.find("/".join(f"d:{p}" for p in path.split("/")), {"d": NS})


def _text(node: ET.Element, path: str, required: str = "") -> str:
    found = _find(node, path)
    text = (found.text or "").strip() if found is not None else ""
    if required and not text:
        raise DigestError(f"The application digest lacks {required}.")
    return text


def _identity(node: ET.Element, what: str) -> tuple[str, str]:
    scope, name = node.get("AuthoringScopeId", ""), node.get("LogicalName", "")
    if not scope.startswith("ScopeId_") or not name or not node.get("Version", "").isdigit():
        raise DigestError(f"The {what} must carry AuthoringScopeId (ScopeId_...), LogicalName and Version.")
    return scope, name


def parse(xml: str) -> Digest:
    if "<!DOCTYPE" in xml or "<!ENTITY" in xml:
        raise DigestError("SDMPackageXML must not contain a document type definition.")
    try:
        root = ET.fromstring(xml)  # noqa: S314 (DTDs refused above: no entity can be declared or expanded)
    except ET.ParseError as exc:
        raise DigestError(f"SDMPackageXML is not well-formed XML: {exc}.") from exc
    if root.tag != f"{{{NS}}}AppMgmtDigest":
        raise DigestError(f"SDMPackageXML must be an AppMgmtDigest in the namespace {NS}.")
    app = _find(root, "Application")
    if app is None:
        raise DigestError("The application digest has no Application.")
    scope, logical = _identity(app, "Application")
    referenced = {r.get("LogicalName") for r in app.findall("d:DeploymentTypes/d:DeploymentType", {"d": NS})}
    types = root.findall("d:DeploymentType", {"d": NS})
    if not types:
        raise DigestError("The application digest has no DeploymentType.")
    dt = types[0]
    dt_scope, dt_name = _identity(dt, "DeploymentType")
    if dt_name not in referenced or dt_scope != scope:
        raise DigestError(f"The Application does not reference the DeploymentType {dt_name}.")
    installer = _find(dt, "Installer")
    if installer is None or installer.get("Technology") not in TECHNOLOGIES:
        raise DigestError(f"The DeploymentType needs an Installer with Technology one of {', '.join(TECHNOLOGIES)}.")
    content = _find(installer, "Contents/Content")
    file = _find(installer, "Contents/Content/File")
    if content is None or file is None or not content.get("ContentId") or not file.get("Name"):
        raise DigestError("The Installer needs Contents/Content with a ContentId and a File.")
    location = _text(installer, "Contents/Content/Location", "a content Location")
    if not location.startswith("\\\\"):
        raise DigestError(f"The content Location '{location}' is not a UNC path.")
    detection = _text(installer, "CustomData/DetectionMethod", "a detection method (CustomData/DetectionMethod)")
    if detection not in DETECTION:
        raise DigestError(f"The detection method '{detection}' is not one of {', '.join(DETECTION)}.")
    if detection == "Script" and not _text(installer, "CustomData/DetectionScript"):
        raise DigestError("A Script detection method needs CustomData/DetectionScript.")
    try:
        size = int(file.get("Size", ""))
    except ValueError as exc:
        raise DigestError("The content File needs a Size in bytes.") from exc
    return Digest(
        scope=scope,
        logical_name=logical,
        title=_text(app, "Title", "an Application Title"),
        description=_text(app, "Description"),
        publisher=_text(app, "Publisher"),
        version=_text(app, "SoftwareVersion"),
        deployment_types=len(types),
        technology=str(installer.get("Technology")),
        file_name=str(file.get("Name")),
        file_size=size,
        location=location,
        install=_text(installer, "CustomData/InstallCommandLine", "an install command line"),
        uninstall=_text(installer, "CustomData/UninstallCommandLine"),
        detection=detection,
    )


def read_content(share: str, root: Path, digest: Digest) -> str:
    """The sha256 of the content file, read from the share (stood in for by `root`); DigestError if
    the source is not there or not the size the digest declares."""
    share = share.rstrip("\\")
    location = digest.location.rstrip("\\")
    if not location.lower().startswith(share.lower() + "\\"):
        raise DigestError(f"The content location '{digest.location}' is not accessible by the SMS Provider.")
    parts = [p for p in location[len(share) :].split("\\") if p]
    if any(p in (".", "..") or "/" in p for p in parts):
        raise DigestError(f"The content location '{digest.location}' is not valid.")
    path = root.joinpath(*parts, digest.file_name)
    if not path.is_file():
        raise DigestError(f"The content source '{digest.location}' does not contain '{digest.file_name}'.")
    if path.stat().st_size != digest.file_size:
        raise DigestError(f"'{digest.file_name}' in the content source is not {digest.file_size} bytes.")
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()
