"""The installation's evidence sealing key: Ed25519, generated on first use under the data dir.

Rotation writes a fresh key beside the current one and swaps it in after the rotation commits;
the old public key stays in the database (SealKey) so packs sealed before keep verifying."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.config import settings as cfg
from fleetgate.core import keys

PURPOSE = "evidence"


def current() -> keys.SigningKey:
    return keys.load_or_create(PURPOSE)


def _path() -> Path:
    return cfg.data_dir / "keys" / f"{PURPOSE}-ed25519.pem"


def prepare_rotation() -> tuple[keys.SigningKey, Path]:
    """A new key written to a temporary file; `activate` moves it into place."""
    private = Ed25519PrivateKey.generate()
    pending = _path().with_suffix(".pending")
    pending.parent.mkdir(parents=True, exist_ok=True)
    pending.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pending.chmod(0o600)
    return keys.SigningKey(key_id=keys.key_id_of(private.public_key()), private=private), pending


def activate(pending: Path) -> None:
    os.replace(pending, _path())
