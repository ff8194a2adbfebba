"""Connector secrets encrypted at rest with Fernet. The key lives in a file (FLEETGATE_SECRET_KEY_FILE,
default `keys/connectors.fernet` under the data directory), never in the database."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from fleetgate.config import settings as cfg
from fleetgate.core.errors import SecretsUnreadable


def key_path() -> Path:
    return Path(cfg.secret_key_file) if cfg.secret_key_file else cfg.data_dir / "keys" / "connectors.fernet"


def _fernet() -> Fernet:
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return Fernet(path.read_bytes().strip())


def seal(secrets: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(secrets, sort_keys=True).encode()).decode() if secrets else ""


def unseal(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(token.encode())))
    except InvalidToken:
        raise SecretsUnreadable(
            f"Connector secrets cannot be decrypted with {key_path()}; restore the key file that sealed them "
            "(or re-enter the secrets)."
        ) from None
