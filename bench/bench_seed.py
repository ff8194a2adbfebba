"""Benchmark data, created through the public API like any client would (every row is in the ledger).

- a publisher key, registered as trusted by `security`;
- an application pool ("Bench App 0001"...), created by `admin` (platform admin), owned by
  acme / finance, with one version "1.0.0" registered by `packager`, its MSI uploaded and the
  complete, signed evidence `fleetgate seed-demo` attaches (fleetgate.evidence.demo_documents);
  each simulated user gets one application so its submits never collide with another user's;
- a few hundred draft intents by `publisher` on the demo applications, so reads have data.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fleetgate.evidence.demo_documents import DEFAULT_FINDINGS, Subject, documents

RETRIES = 30
T = TypeVar("T")
R = TypeVar("R")
PARALLEL = 16
# Demo applications (fleetgate seed-demo) and a business unit each is owned for.
READ_TARGETS = [
    ("7-Zip", "24.9.0", "finance"),
    ("7-Zip", "24.8.0", "engineering"),
    ("Zoom Workplace", "6.2.11", "sales"),
]


def _parallel(fn: Callable[[T], R], items: Iterable[T], what: str = "") -> list[R]:
    """fn over items on PARALLEL threads, in order; with `what`, a progress line every 10 %."""
    todo = list(items)
    step = max(1, len(todo) // 10)
    done: list[R] = []
    started = time.monotonic()
    with ThreadPoolExecutor(PARALLEL) as pool:
        for result in pool.map(fn, todo):
            done.append(result)
            if what and (len(done) % step == 0 or len(done) == len(todo)):
                print(f"  {what}: {len(done)}/{len(todo)} in {time.monotonic() - started:.0f} s", flush=True)
    return done


def _post(
    client: httpx.Client, token: str, path: str, body: dict[str, Any], files: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST a JSON body, or a multipart form when `files` is given; retried while refused under load."""
    for _ in range(RETRIES):
        auth = {"Authorization": f"Bearer {token}"}
        if files is None:
            response = client.post(path, json=body, headers=auth)
        else:
            response = client.post(path, data=body, files=files, headers=auth)
        # a refusal under load (503 overloaded, 429) did nothing: honour its Retry-After and send again
        if response.status_code not in (429, 503) or "Retry-After" not in response.headers:
            break
        time.sleep(float(response.headers["Retry-After"]))
    if response.status_code != 201:
        raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:300]}")
    return dict(response.json())


def seed_intent(i: int, prefix: str, application_id: Callable[[str], Any]) -> dict[str, Any]:
    """The i-th seeded draft on the demo applications (READ_TARGETS); `application_id` names its app's id."""
    name, version, unit = READ_TARGETS[i % len(READ_TARGETS)]
    return {
        "name": f"{prefix}-{i:04d}",
        "title": f"{name} {version} for {unit} ({prefix} {i})",
        "application": application_id(name),
        "version": version,
        "target_boundary": "acme",
        "target_business_unit": unit,
        "target_site_classes": ["online", "intermittent"],
        "ring_plan": [
            {"ring": "lab", "target_group": "FG-LAB", "device_count": 8},
            {"ring": "canary", "target_group": "FG-CANARY", "device_count": 80},
        ],
        "rollback_plan": {"strategy": "uninstall"},
    }


def trust_publisher_key(client: httpx.Client, security_token: str, run_id: str) -> Ed25519PrivateKey:
    """A fresh Ed25519 key the bench signs its artifacts with, registered as trusted (Security Reviewer)."""
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    body = {"name": f"Bench {run_id} release key", "publisher": "Fleetgate Bench", "pem": pem.decode()}
    _post(client, security_token, "/trusted-keys/", body)
    return key


def package(client: httpx.Client, token: str, app: dict[str, Any], version: dict[str, Any], key: Any) -> str:
    """Upload an MSI for the version and attach its complete evidence (a Packaging Engineer's token)."""
    filename = f"bench-{app['id']}.msi"
    form = {"version": version["id"], "platform": "windows", "format": "msi"}
    artifact = _post(client, token, "/artifacts/", form, {"file": (filename, os.urandom(4096))})
    subject = Subject(artifact["sha256"], filename, "windows", "msi", app["name"], version["version"])
    for kind, doc in documents(subject, key, DEFAULT_FINDINGS).items():
        form = {"artifact": artifact["id"], "kind": kind, "binding": "digest"}
        _post(client, token, "/evidence/", form, {"file": (f"{kind}.json", json.dumps(doc).encode())})
    return str(artifact["id"])


def seed(base_url: str, tokens: dict[str, str], apps: int, intents: int, run_id: str) -> dict[str, Any]:
    """Create the pool and the draft intents; return what the locustfile needs."""
    limits = httpx.Limits(max_connections=PARALLEL, max_keepalive_connections=PARALLEL)
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=60, limits=limits) as client:

        def make_app(i: int) -> dict[str, str]:
            app = _post(
                client,
                tokens["admin"],
                "/applications/",
                {
                    "name": f"Bench App {run_id} {i:04d}",
                    "vendor": "Fleetgate Bench",
                    "category": "utility",
                    "platforms": ["windows"],
                    "boundary": "acme",
                    "business_units": ["finance"],
                },
            )
            version = _post(client, tokens["packager"], "/versions/", {"application": app["id"], "version": "1.0.0"})
            artifact = package(client, tokens["packager"], app, version, key)
            return {"id": str(app["id"]), "version": "1.0.0", "artifact": artifact}

        key = trust_publisher_key(client, tokens["security"], run_id)
        pool = _parallel(make_app, range(apps), "applications with evidence")

        listing = client.get("/applications/", headers={"Authorization": f"Bearer {tokens['publisher']}"})
        listing.raise_for_status()
        by_name = {row["name"]: row["id"] for row in listing.json()}
        missing = sorted({name for name, _, _ in READ_TARGETS} - set(by_name))
        if missing:
            raise RuntimeError(f"Demo applications missing (did seed-demo run?): {missing}")

        def make_intent(i: int) -> str:
            body = seed_intent(i, f"bench-seed-{run_id}", lambda name: by_name[name])
            return str(_post(client, tokens["publisher"], "/intents/", body)["id"])

        intent_ids = _parallel(make_intent, range(intents), "draft intents")
    return {"apps": pool, "intents": intent_ids}
