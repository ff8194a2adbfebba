"""The .intunewin package format of Microsoft's Win32 Content Prep Tool (IntuneWinAppUtil).

An .intunewin is a zip holding `IntuneWinPackage/Metadata/Detection.xml` and
`IntuneWinPackage/Contents/IntunePackage.intunewin`. The inner file is the source folder, zipped,
then encrypted: AES-256-CBC with PKCS#7 padding under a random key and IV, laid out as
`HMAC-SHA256(macKey, IV || ciphertext) || IV || ciphertext`. Detection.xml records the
`UnencryptedContentSize`, the `SetupFile`, the `EncryptionInfo` (encryptionKey, macKey,
initializationVector, mac, profileIdentifier `ProfileVersion1`, fileDigest = SHA-256 of the
unencrypted zip, fileDigestAlgorithm `SHA256`) and, for an MSI, `MsiInfo` (product code, version).
Graph's commit takes exactly that EncryptionInfo as `fileEncryptionInfo`; the content file's
`size` is the unencrypted size and `sizeEncrypted` the size of the encrypted inner file.

`build()` makes one from an installer (with `cryptography`); `read()` opens one the packager built;
`seal()` encrypts a file as it is (no zip, no Detection.xml), as Intune takes a macOS .pkg: the
same AES-256-CBC + HMAC-SHA256 layout and EncryptionInfo, `size` the .pkg's own size.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetgate.connectors.errors import Permanent

DETECTION = "IntuneWinPackage/Metadata/Detection.xml"
CONTENTS = "IntuneWinPackage/Contents/IntunePackage.intunewin"
PROFILE = "ProfileVersion1"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class EncryptionInfo:
    encryption_key: bytes
    mac_key: bytes
    initialization_vector: bytes
    mac: bytes
    file_digest: bytes
    profile_identifier: str = PROFILE
    file_digest_algorithm: str = "SHA256"

    def as_graph(self) -> dict[str, str]:
        """Graph's fileEncryptionInfo (Edm.Binary values are base64)."""
        b64 = lambda v: base64.b64encode(v).decode()  # noqa: E731
        return {
            "encryptionKey": b64(self.encryption_key),
            "macKey": b64(self.mac_key),
            "initializationVector": b64(self.initialization_vector),
            "mac": b64(self.mac),
            "profileIdentifier": self.profile_identifier,
            "fileDigest": b64(self.file_digest),
            "fileDigestAlgorithm": self.file_digest_algorithm,
        }


@dataclass(frozen=True)
class IntuneWin:
    """A package ready to upload: the encrypted inner file on disk and what Detection.xml says."""

    encrypted_path: str
    unencrypted_size: int
    encrypted_size: int
    setup_file: str
    encryption: EncryptionInfo
    msi_product_code: str = ""
    msi_product_version: str = ""

    def chunks(self, size: int) -> Iterator[bytes]:
        with open(self.encrypted_path, "rb") as handle:
            while block := handle.read(size):
                yield block

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.encrypted_path)


def encrypt(
    plain: io.BufferedIOBase | io.BytesIO, out: io.BufferedIOBase, key: bytes, mac_key: bytes, iv: bytes
) -> bytes:
    """Write HMAC || IV || AES-256-CBC(plain) to `out`; return the HMAC."""
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    padder = padding.PKCS7(128).padder()
    mac = hmac.new(mac_key, iv, hashlib.sha256)
    out.write(b"\0" * 32 + iv)
    while block := plain.read(CHUNK):
        data = encryptor.update(padder.update(block))
        mac.update(data)
        out.write(data)
    data = encryptor.update(padder.finalize()) + encryptor.finalize()
    mac.update(data)
    out.write(data)
    digest = mac.digest()
    out.seek(0)
    out.write(digest)
    return digest


def _sealed(plain: io.BufferedIOBase, setup_file: str, msi_product_code: str = "") -> IntuneWin:
    """Encrypt `plain` (read from its start) under a fresh key, MAC key and IV into a temporary file."""
    plain.seek(0, io.SEEK_END)
    size = plain.tell()
    plain.seek(0)
    digest = hashlib.sha256()
    while block := plain.read(CHUNK):
        digest.update(block)
    plain.seek(0)
    key, mac_key, iv = os.urandom(32), os.urandom(32), os.urandom(16)
    handle = tempfile.NamedTemporaryFile(prefix="fleetgate-", suffix=".bin", delete=False)  # noqa: SIM115
    with handle:
        mac = encrypt(plain, handle, key, mac_key, iv)  # type: ignore[arg-type]
        handle.seek(0, io.SEEK_END)
        encrypted_size = handle.tell()
    return IntuneWin(
        encrypted_path=handle.name,
        unencrypted_size=size,
        encrypted_size=encrypted_size,
        setup_file=setup_file,
        encryption=EncryptionInfo(key, mac_key, iv, mac, digest.digest()),
        msi_product_code=msi_product_code,
    )


def build(source_path: str, setup_file: str, *, msi_product_code: str = "") -> IntuneWin:
    """Package one installer file as IntuneWinAppUtil does (fresh key, MAC key and IV)."""
    with tempfile.TemporaryFile() as plain:
        with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as archive:
            if source_path:
                archive.write(source_path, setup_file)
            else:
                archive.writestr(setup_file, b"")
        return _sealed(plain, setup_file, msi_product_code)  # type: ignore[arg-type]


def seal(source_path: str, name: str) -> IntuneWin:
    """Encrypt one file as it is, not zipped (a macOS .pkg: Intune takes the .pkg itself, encrypted the
    same way, `fileDigest` the SHA-256 of the .pkg); no path: an empty file (a metadata-only publish)."""
    if not source_path:
        return _sealed(io.BytesIO(b""), name)
    with open(source_path, "rb") as plain:
        return _sealed(plain, name)  # type: ignore[arg-type]


def read(path: str) -> IntuneWin:
    """Open an .intunewin the packager built: its Detection.xml and encrypted inner file."""
    try:
        with zipfile.ZipFile(path) as outer:
            # ElementTree resolves no external entities and expat (>= 2.4.1) caps entity expansion
            root = ElementTree.fromstring(outer.read(DETECTION))  # noqa: S314
            handle = tempfile.NamedTemporaryFile(prefix="fleetgate-", suffix=".intunewin", delete=False)  # noqa: SIM115
            with handle, outer.open(CONTENTS) as inner:
                while block := inner.read(CHUNK):
                    handle.write(block)
                encrypted_size = handle.tell()
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise Permanent(f"intune: not an .intunewin package ({exc})") from exc
    text = lambda tag: (root.findtext(tag) or "").strip()  # noqa: E731
    b64 = lambda tag: base64.b64decode(text(f"EncryptionInfo/{tag}"))  # noqa: E731
    try:
        info = EncryptionInfo(
            encryption_key=b64("EncryptionKey"),
            mac_key=b64("MacKey"),
            initialization_vector=b64("InitializationVector"),
            mac=b64("Mac"),
            file_digest=b64("FileDigest"),
            profile_identifier=text("EncryptionInfo/ProfileIdentifier") or PROFILE,
            file_digest_algorithm=text("EncryptionInfo/FileDigestAlgorithm") or "SHA256",
        )
        size = int(text("UnencryptedContentSize"))
    except ValueError as exc:
        os.unlink(handle.name)
        raise Permanent(
            f"intune: Detection.xml lacks a valid EncryptionInfo or UnencryptedContentSize ({exc})"
        ) from exc
    return IntuneWin(
        encrypted_path=handle.name,
        unencrypted_size=size,
        encrypted_size=encrypted_size,
        setup_file=text("SetupFile"),
        encryption=info,
        msi_product_code=text("MsiInfo/MsiProductCode"),
        msi_product_version=text("MsiInfo/MsiProductVersion"),
    )


def detection_xml(package: IntuneWin, name: str) -> bytes:
    """Detection.xml as IntuneWinAppUtil writes it (used to wrap a built package into the outer zip)."""
    root = ElementTree.Element("ApplicationInfo", {"ToolVersion": "1.8.6.0"})
    for tag, value in (
        ("Name", name),
        ("UnencryptedContentSize", str(package.unencrypted_size)),
        ("FileName", "IntunePackage.intunewin"),
        ("SetupFile", package.setup_file),
    ):
        ElementTree.SubElement(root, tag).text = value
    info = ElementTree.SubElement(root, "EncryptionInfo")
    for tag, key in (
        ("EncryptionKey", "encryptionKey"),
        ("MacKey", "macKey"),
        ("InitializationVector", "initializationVector"),
        ("Mac", "mac"),
        ("ProfileIdentifier", "profileIdentifier"),
        ("FileDigest", "fileDigest"),
        ("FileDigestAlgorithm", "fileDigestAlgorithm"),
    ):
        ElementTree.SubElement(info, tag).text = package.encryption.as_graph()[key]
    if package.msi_product_code:
        msi = ElementTree.SubElement(root, "MsiInfo")
        ElementTree.SubElement(msi, "MsiProductCode").text = package.msi_product_code
        ElementTree.SubElement(msi, "MsiProductVersion").text = package.msi_product_version
    return ElementTree.tostring(root, xml_declaration=True, encoding="utf-8")


def write(package: IntuneWin, name: str, path: str) -> None:
    """The outer .intunewin zip, as the packager hands it over."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as outer:
        outer.writestr(DETECTION, detection_xml(package, name))
        outer.write(package.encrypted_path, CONTENTS)
