"""Secrets Fleetgate must use in plaintext (webhook signing secrets, connector credentials) are
stored encrypted with Fernet. The key is a file, never in the database: FLEETGATE_SECRET_KEY_FILE,
default `keys/connectors.fernet` under the data directory (one key for every secret at rest)."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from fleetgate.config import settings as cfg


class SecretUnreadable(RuntimeError):
    """The stored token was sealed with another key."""


def key_path() -> Path:
    explicit = getattr(cfg, "secret_key_file", "")
    return Path(explicit) if explicit else cfg.data_dir / "keys" / "connectors.fernet"


def _fernet() -> Fernet:
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return Fernet(path.read_bytes().strip())


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(f"Cannot decrypt with {key_path()}; restore the key file that sealed it.") from None
