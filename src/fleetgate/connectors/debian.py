"""Debian binary packages as Landscape takes them: read a .deb's control fields, write the binary
upload's .changes file (what `dpkg-genchanges -B` writes), and build a minimal .deb (the connector
self-test's inert package).

References (checked 2026-12-02): deb(5) (the ar container: `debian-binary`, `control.tar[.gz|.xz|.zst]`,
`data.tar[...]`), deb-changes(5) (Format 1.8 fields: Format, Date, Source, Binary, Architecture,
Version, Distribution, Urgency, Maintainer, Changed-By, Description, Changes, Checksums-Sha1,
Checksums-Sha256, Files), Debian Policy 5.1 (deb822 syntax).
"""

from __future__ import annotations

import hashlib
import io
import lzma
import re
import tarfile
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate

import zstandard

AR_MAGIC = b"!<arch>\n"
NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")  # Debian Policy 5.6.1


class NotADebianPackage(ValueError):
    """The file is no Debian binary package (or one whose control member cannot be read)."""


@dataclass(frozen=True)
class Control:
    package: str
    version: str
    architecture: str
    maintainer: str
    description: str
    section: str
    priority: str


def ar_members(data: bytes) -> dict[str, bytes]:
    if not data.startswith(AR_MAGIC):
        raise NotADebianPackage("not an ar archive (a .deb starts with '!<arch>')")
    members, at = {}, len(AR_MAGIC)
    while at + 60 <= len(data):
        header = data[at : at + 60]
        if header[58:60] != b"`\n":
            raise NotADebianPackage("corrupt ar member header")
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58].decode().strip() or 0)
        members[name] = data[at + 60 : at + 60 + size]
        at += 60 + size + (size % 2)
    return members


def _untar(name: str, blob: bytes) -> tarfile.TarFile:
    if name.endswith(".gz"):
        blob = zlib.decompress(blob, 16 + zlib.MAX_WBITS)
    elif name.endswith(".xz"):
        blob = lzma.decompress(blob)
    elif name.endswith(".zst"):
        blob = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob)).read()
    return tarfile.open(fileobj=io.BytesIO(blob), mode="r:")


def parse_deb822(text: str) -> dict[str, str]:
    """One paragraph of deb822 fields; continuation lines are kept (joined by newlines)."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        if line[0] in " \t" and last:
            fields[last] += "\n" + line[1:]
        elif ":" in line:
            last, _, value = line.partition(":")
            fields[last] = value.strip()
    return fields


def read_control(data: bytes) -> Control:
    members = ar_members(data)
    if members.get("debian-binary", b"").strip() != b"2.0":
        raise NotADebianPackage("no 'debian-binary' 2.0 member")
    name = next((n for n in members if n.startswith("control.tar")), "")
    if not name:
        raise NotADebianPackage("no control.tar member")
    try:
        with _untar(name, members[name]) as tar:
            member = next(m for m in tar.getmembers() if m.name.lstrip("./") == "control")
            handle = tar.extractfile(member)
            text = handle.read().decode() if handle else ""
    except (StopIteration, tarfile.TarError, OSError, lzma.LZMAError, zlib.error, zstandard.ZstdError) as exc:
        raise NotADebianPackage(f"{name}: no readable control file ({exc.__class__.__name__})") from exc
    fields = parse_deb822(text)
    missing = [f for f in ("Package", "Version", "Architecture") if not fields.get(f)]
    if missing:
        raise NotADebianPackage(f"control lacks {', '.join(missing)}")
    return Control(
        package=fields["Package"],
        version=fields["Version"],
        architecture=fields["Architecture"],
        maintainer=fields.get("Maintainer", ""),
        description=fields.get("Description", "").split("\n")[0],
        section=fields.get("Section", "misc"),
        priority=fields.get("Priority", "optional"),
    )


def deb_filename(control: Control) -> str:
    version = control.version.split(":", 1)[-1]  # the epoch never appears in a file name
    return f"{control.package}_{version}_{control.architecture}.deb"


def changes(control: Control, filename: str, data: bytes, *, distribution: str, when: float | None = None) -> str:
    """The binary-only upload's .changes (unsigned): the suite it targets and the .deb's checksums."""
    size = len(data)
    maintainer = control.maintainer or "Fleetgate <fleetgate@localhost>"
    return "\n".join(
        [
            "Format: 1.8",
            f"Date: {formatdate(when if when is not None else time.time())}",
            f"Source: {control.package}",
            f"Binary: {control.package}",
            f"Architecture: {control.architecture}",
            f"Version: {control.version}",
            f"Distribution: {distribution}",
            "Urgency: medium",
            f"Maintainer: {maintainer}",
            f"Changed-By: {maintainer}",
            "Description:",
            f" {control.package} - {control.description or control.package}",
            "Changes:",
            f" {control.package} ({control.version}) {distribution}; urgency=medium",
            " .",
            "   * Published by Fleetgate.",
            "Checksums-Sha1:",
            f" {hashlib.sha1(data).hexdigest()} {size} {filename}",  # noqa: S324  (the format's own field)
            "Checksums-Sha256:",
            f" {hashlib.sha256(data).hexdigest()} {size} {filename}",
            "Files:",
            f" {hashlib.md5(data).hexdigest()} {size} {control.section} {control.priority} {filename}",  # noqa: S324
            "",
        ]
    )


def _ar(members: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    out.write(AR_MAGIC)
    for name, blob in members.items():
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(blob):<10}`\n"
        out.write(header.encode())
        out.write(blob + (b"\n" if len(blob) % 2 else b""))
    return out.getvalue()


def _tar_gz(files: Mapping[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for path, blob in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(blob), 0o644
            tar.addfile(info, io.BytesIO(blob))
    return raw.getvalue()


def build_deb(
    package: str,
    version: str,
    *,
    architecture: str = "all",
    description: str = "",
    files: Mapping[str, bytes] | None = None,
    maintainer: str = "Fleetgate <fleetgate@localhost>",
) -> bytes:
    """A minimal, valid .deb (gzip members) carrying `files` (path -> content)."""
    if not NAME.match(package):
        raise ValueError(f"{package!r} is not a Debian package name")
    control = (
        f"Package: {package}\nVersion: {version}\nArchitecture: {architecture}\nMaintainer: {maintainer}\n"
        f"Section: misc\nPriority: optional\nDescription: {description or package}\n"
    )
    return _ar(
        {
            "debian-binary": b"2.0\n",
            "control.tar.gz": _tar_gz({"./control": control.encode()}),
            "data.tar.gz": _tar_gz({f"./{p.lstrip('/')}": b for p, b in (files or {}).items()}),
        }
    )
