"""Signature primitives with the accepted-algorithm policy: Ed25519, ECDSA P-256 (SHA-256), RSA-PSS >= 3072.

Pure functions over bytes and PEM, shared by ingestion (with the registered keys) and by the
offline pack verifier (with the keys embedded in the pack)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519, ECDSA_P256, RSA_PSS = "ed25519", "ecdsa-p256-sha256", "rsa-pss-sha256"
ALGORITHMS = (ED25519, ECDSA_P256, RSA_PSS)
MIN_RSA_BITS = 3072
PublicKey = Any  # Ed25519PublicKey | EllipticCurvePublicKey | RSAPublicKey


class CheckFailed(Exception):
    """A named verification check failed; `check` is stable, the message says what to do."""

    def __init__(self, check: str, message: str, path: str = "") -> None:
        super().__init__(message)
        self.check = check
        self.message = message
        self.path = path  # the JSON path in the evidence file the check read, when known


def algorithm_of(key: PublicKey) -> str:
    if isinstance(key, Ed25519PublicKey):
        return ED25519
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise CheckFailed("key-algorithm", f"ECDSA on {key.curve.name} is not accepted; use P-256.")
        return ECDSA_P256
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CheckFailed(
                "key-algorithm", f"RSA-{key.key_size} is too short; use RSA-PSS with >= {MIN_RSA_BITS} bits."
            )
        return RSA_PSS
    raise CheckFailed("key-algorithm", f"{type(key).__name__} keys are not accepted; use {', '.join(ALGORITHMS)}.")


def load_public_pem(pem: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise CheckFailed("key-format", f"Not a PEM public key ({exc}).") from None
    algorithm_of(key)
    return key


def fingerprint(key: PublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_pem(key: PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def b64decode(value: str, check: str = "signature-format") -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            raise CheckFailed(check, "Not valid base64.") from None


def verify(key: PublicKey, algorithm: str, signature: bytes, data: bytes, *, prehashed: bool = False) -> None:
    """Raise CheckFailed('signature-mismatch') unless `signature` signs `data` (a SHA-256 digest when prehashed)."""
    actual = algorithm_of(key)
    if algorithm != actual:
        raise CheckFailed("key-algorithm", f"The signature says {algorithm} but the key is {actual}.")
    chosen: Any = utils.Prehashed(hashes.SHA256()) if prehashed else hashes.SHA256()
    try:
        if actual == ED25519:
            key.verify(signature, data)
        elif actual == ECDSA_P256:
            key.verify(signature, data, ec.ECDSA(chosen))
        else:
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            key.verify(signature, data, pss, chosen)
    except InvalidSignature:
        raise CheckFailed("signature-mismatch", "The signature does not match the signed data and key.") from None


@dataclass(frozen=True)
class TrustedKey:
    """A key or X.509 root a Security Reviewer registered, as plain values."""

    key_id: str
    name: str
    publisher: str
    kind: str  # "public_key" | "x509_root"
    pem: str
    not_before: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable_at(self, at: datetime) -> None:
        if self.revoked_at is not None and self.revoked_at <= at:
            raise CheckFailed(
                "key-revoked", f"Key '{self.name}' ({self.key_id}) was revoked {self.revoked_at:%Y-%m-%d}."
            )
        if self.expires_at is not None and self.expires_at <= at:
            raise CheckFailed(
                "key-expired",
                f"Key '{self.name}' ({self.key_id}) expired {self.expires_at:%Y-%m-%d}; "
                "sign with the publisher's current key or ask a Security Reviewer to register it.",
            )
        if self.not_before > at:
            raise CheckFailed("key-not-yet-valid", f"Key '{self.name}' is valid from {self.not_before:%Y-%m-%d}.")


def verify_chain(chain_pem: list[str], roots: list[TrustedKey], at: datetime) -> tuple[PublicKey, TrustedKey, str]:
    """Leaf-first chain up to a registered root; returns (leaf key, root, leaf subject)."""
    try:
        chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in chain_pem]
    except ValueError as exc:
        raise CheckFailed("certificate-format", f"A certificate is not PEM X.509 ({exc}).") from None
    if not chain:
        raise CheckFailed("certificate-format", "certificate_chain is empty.")
    for index, cert in enumerate(chain):
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            raise CheckFailed(
                "certificate-expired",
                f"Certificate {index} ({cert.subject.rfc4514_string()}) is not valid at {at:%Y-%m-%d}.",
            )
        if index + 1 < len(chain):
            _issued_by(cert, chain[index + 1], index)
    leaf = chain[0]
    try:
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if x509.ExtendedKeyUsageOID.CODE_SIGNING not in eku:
            raise CheckFailed("certificate-usage", "The leaf certificate is not for code signing (extendedKeyUsage).")
    except x509.ExtensionNotFound:
        pass
    top = chain[-1]
    for root in roots:
        root_cert = x509.load_pem_x509_certificate(root.pem.encode())
        if top.fingerprint(hashes.SHA256()) != root_cert.fingerprint(hashes.SHA256()):
            try:
                _issued_by(top, root_cert, len(chain) - 1)
            except CheckFailed:
                continue
        root.usable_at(at)
        return leaf.public_key(), root, leaf.subject.rfc4514_string()
    raise CheckFailed(
        "chain-untrusted", "The certificate chain does not lead to a registered root; ask a Security Reviewer."
    )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate, index: int) -> None:
    try:
        cert.verify_directly_issued_by(issuer)
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        raise CheckFailed("chain-broken", f"Certificate {index} is not issued by the next one in the chain.") from None
    if not constraints.ca:
        raise CheckFailed("chain-broken", f"The issuer of certificate {index} is not a CA.")


def dsse_key(pem: str) -> Any:
    """The registered key as securesystemslib sees it: its keyid is the one in-toto tools write
    into DSSE signatures (SHA-256 of the canonical JSON key: keytype, scheme, keyval)."""
    from securesystemslib.signer import SSlibKey

    return SSlibKey.from_crypto(load_public_pem(pem))


def dsse_verify(pem: str, sig_b64: str, message: bytes) -> None:
    """Verify one DSSE signature over the pre-authentication encoding with securesystemslib."""
    from securesystemslib.exceptions import UnverifiedSignatureError
    from securesystemslib.signer import Signature

    key = dsse_key(pem)
    signature = b64decode(sig_b64)
    try:
        key.verify_signature(Signature(key.keyid, signature.hex()), message)
    except UnverifiedSignatureError:
        raise CheckFailed("signature-mismatch", "The DSSE signature does not verify with the key.") from None


def ed25519_key_id(key: Ed25519PublicKey) -> str:
    """Same id as core.keys.key_id_of, without importing configuration (the verifier runs offline)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
