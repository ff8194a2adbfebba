"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, like Stripe and Slack, so a receiver
can reject replays by the timestamp and tampering by the MAC. Pure."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "X-Fleetgate-Signature"
TIMESTAMP_HEADER = "X-Fleetgate-Timestamp"
EVENT_HEADER = "X-Fleetgate-Event"


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
