"""The offline bundle container: a tar of files plus ``manifest.json`` (RFC 8785 canonical JSON listing
every file with its SHA-256 and size, and the bundle's metadata) and ``manifest.sig`` (Ed25519 over the
manifest's SHA-256). Pure: no Django, no configuration, no network, so ``bundle verify`` runs anywhere.

Files are hashed while they are written (one pass over each artifact), and the manifest is written last.
Reading refuses anything but regular files with relative names inside the bundle, each once.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.evidence import safejson

SCHEMA = "fleetgate.site-bundle/v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CHUNK = 1024 * 1024
MAX_JSON = 64 * 1024 * 1024  # manifest, approvals, ledger slice, packs: read into memory, so bounded
Progress = Callable[[int], None]


def canonical(value: Any) -> bytes:
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signing_message(manifest_bytes: bytes) -> bytes:
    """What the signature covers: the schema and the manifest's digest (so no other document can be replayed)."""
    return f"{SCHEMA}:{sha256_hex(manifest_bytes)}".encode()


@dataclass(frozen=True)
class Entry:
    """One file to put in the bundle: from bytes in memory, or streamed from a path on disk."""

    path: str
    role: str  # artifact / evidence_pack / approvals / ledger_slice / policy / key / vuln_snapshot / results / intent
    data: bytes | None = None
    source: Path | None = None

    def open(self) -> IO[bytes]:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.source is not None
        return self.source.open("rb")

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else os.path.getsize(self.source)  # type: ignore[arg-type]


class _Hashing(io.RawIOBase):
    """Reads through to a stream while hashing what tarfile takes from it."""

    def __init__(self, stream: IO[bytes], progress: Progress | None) -> None:
        self.stream, self.progress, self.hash = stream, progress, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.hash.update(chunk)
        if self.progress and chunk:
            self.progress(len(chunk))
        return chunk


def write(
    target: Path,
    metadata: dict[str, Any],
    entries: list[Entry],
    private: Ed25519PrivateKey,
    key_id: str,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], str]:
    """Write the bundle to `target` (atomically); return (manifest, manifest SHA-256)."""
    _check_names([e.path for e in entries])
    partial = target.with_name(target.name + ".partial")
    files = []
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info = _info(entry.path, entry.size)
            with entry.open() as stream:
                hashing = _Hashing(stream, progress)
                tar.addfile(info, hashing)  # type: ignore[arg-type]
            files.append(
                {"path": entry.path, "role": entry.role, "sha256": hashing.hash.hexdigest(), "size": info.size}
            )
        manifest = {**metadata, "schema": SCHEMA, "files": files}
        manifest_bytes = canonical(manifest)
        signature = {
            "algorithm": "ed25519",
            "key_id": key_id,
            "signature": base64.b64encode(private.sign(signing_message(manifest_bytes))).decode(),
        }
        for name, data in ((MANIFEST, manifest_bytes), (SIGNATURE, canonical(signature))):
            tar.addfile(_info(name, len(data)), io.BytesIO(data))
    os.replace(partial, target)
    return manifest, sha256_hex(manifest_bytes)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime, info.type = size, 0o644, int(time.time()), tarfile.REGTYPE
    return info


def _check_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        problem = name_problem(name)
        if problem or name in seen or name in (MANIFEST, SIGNATURE):
            raise ValueError(f"bundle member {name!r}: {problem or 'listed twice'}")
        seen.add(name)


def name_problem(name: str) -> str:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name or str(path) != name:
        return "not a plain relative path inside the bundle"
    return ""


class BundleFormatError(Exception):
    """The file is not a readable bundle; the message says what is wrong."""


class Opened:
    """A bundle opened for reading: its members by name, and JSON or streamed reads of them."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.members: dict[str, tarfile.TarInfo] = {}
        for member in tar.getmembers():
            if not member.isreg():
                raise BundleFormatError(f"member {member.name!r} is not a regular file")
            if name_problem(member.name):
                raise BundleFormatError(f"member {member.name!r} is {name_problem(member.name)}")
            if member.name in self.members:
                raise BundleFormatError(f"member {member.name!r} appears twice")
            self.members[member.name] = member

    def read(self, name: str, limit: int = MAX_JSON) -> bytes:
        member = self.members.get(name)
        if member is None:
            raise KeyError(name)
        if member.size > limit:
            raise BundleFormatError(f"{name} is {member.size} bytes, more than the {limit} read into memory")
        stream = self.tar.extractfile(member)
        assert stream is not None
        return stream.read()

    def json(self, name: str) -> Any:
        return safejson.loads(self.read(name))

    def stream(self, name: str) -> IO[bytes]:
        stream = self.tar.extractfile(self.members[name])
        assert stream is not None
        return stream

    def digest(self, name: str, progress: Progress | None = None) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        stream = self.stream(name)
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if progress:
                progress(len(chunk))
        return digest.hexdigest(), size


@contextmanager
def open_bundle(path: Path) -> Iterator[Opened]:
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115 (closed below)
    except (OSError, tarfile.TarError) as exc:
        raise BundleFormatError(f"{path} is not a bundle (an uncompressed tar): {exc}") from None
    try:
        yield Opened(tar)
    except tarfile.TarError as exc:
        raise BundleFormatError(f"{path} is damaged: {exc}") from None
    finally:
        tar.close()
