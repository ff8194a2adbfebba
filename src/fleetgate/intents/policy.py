"""Ring policy as versioned data: the embedded defaults are loaded once, then only read."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

from fleetgate.intents.models import RingPolicy

DEFAULT_FILE = "ring-policy-v1.1.json"
EMBEDDED_FILES = ("ring-policy-v1.json", "ring-policy-v1.1.json")  # oldest first; each may supersede the one before


def embedded_document(filename: str = DEFAULT_FILE) -> dict[str, Any]:
    text = resources.files("fleetgate.policy").joinpath(filename).read_text()
    return dict(json.loads(text))


def active() -> RingPolicy:
    policy = RingPolicy.objects.filter(active=True).first()
    if policy is None:
        raise RuntimeError("No active ring policy; run `fleetgate migrate` to load the defaults.")
    return policy


def digest(document: dict[str, Any]) -> str:
    import rfc8785

    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()
