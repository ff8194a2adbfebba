"""Locust scenario for `make bench`: publishers listing, reading, creating and submitting intents.

bench/run.py prepares everything and passes it in through the environment:

- FLEETGATE_BENCH_TOKENS    comma-separated API tokens of the `publisher` demo user
- FLEETGATE_BENCH_PACKAGER_TOKENS  the same for the `packager` demo user (assesses and seals)
- FLEETGATE_BENCH_FIXTURES  JSON file: {"apps": [{"id", "version", "artifact"}...], "intents": [id...]}
- FLEETGATE_BENCH_APP_OFFSET first application of the pool this stage may use
- FLEETGATE_BENCH_STAGE     stage label, used in the names of the intents created

Every simulated user owns one application of the pre-created pool (user n of the stage gets
apps[offset + n]), whose artifact carries complete, signed evidence, and runs the whole change
lifecycle on it: the publisher creates a draft; the packager assesses its risk (low: no CAB) and
seals its evidence pack; the publisher submits it, which claims the lab ring and is approved by
policy (cab_not_required), then cancels it, which releases the ring. So "one active change per
application per ring" is never violated by the load itself; should two users ever share an
application (pool smaller than the user count), the 409 active-change-conflict is recorded under
its own request name as an expected domain outcome, not as an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

from fleetgate.evidence.demo_documents import LOW_RISK

API = "/api/v1"
TOKENS = [t for t in os.environ.get("FLEETGATE_BENCH_TOKENS", "").split(",") if t]
PACKAGER_TOKENS = [t for t in os.environ.get("FLEETGATE_BENCH_PACKAGER_TOKENS", "").split(",") if t]
_FIXTURES: dict[str, Any] = (
    json.loads(Path(os.environ["FLEETGATE_BENCH_FIXTURES"]).read_text())
    if os.environ.get("FLEETGATE_BENCH_FIXTURES")
    else {"apps": [], "intents": []}
)
APPS: list[dict[str, str]] = _FIXTURES["apps"]
INTENT_IDS: list[str] = list(_FIXTURES["intents"])  # grows with the intents created during the run
APP_OFFSET = int(os.environ.get("FLEETGATE_BENCH_APP_OFFSET", "0"))
STAGE = os.environ.get("FLEETGATE_BENCH_STAGE", "adhoc")
_user_numbers = itertools.count()


class Publisher(FastHttpUser):
    """A publisher (or their automation) working through the API with a bearer token."""

    # Think time between actions (issue 16's read-heavy mix: 0.5-2 s). At 1,000 users this offers
    # roughly 800 actions/s (about 1,000 requests/s with the change lifecycle), far over what the
    # 2-core box serves: the server must refuse the excess fast (503 + Retry-After), not queue it.
    wait_time = between(0.5, 2)
    network_timeout = 60.0
    connection_timeout = 60.0
    refused_after = 0.0  # the last lifecycle step's Retry-After, when it was refused under load

    def on_start(self) -> None:
        if not TOKENS or not PACKAGER_TOKENS or not APPS or not INTENT_IDS:
            raise RuntimeError("Run the benchmark through bench/run.py, which prepares tokens and fixtures.")
        number = next(_user_numbers)
        self.app = APPS[(APP_OFFSET + number) % len(APPS)]
        self.token = TOKENS[number % len(TOKENS)]
        self.packager_token = PACKAGER_TOKENS[number % len(PACKAGER_TOKENS)]

    @property
    def auth(self) -> dict[str, str]:
        # A fresh dict per request: locust adds Content-Type/Accept to the dict it is given.
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def packager(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.packager_token}"}

    # 11 list + 9 read actions for each lifecycle (5 writes): 20 reads in 25 requests, 80 % reads.
    @task(11)
    def list_intents(self) -> None:
        self._get(f"{API}/intents/?page_size=20", "GET /intents/")

    @task(9)
    def read_intent(self) -> None:
        self._get(f"{API}/intents/{random.choice(INTENT_IDS)}/", "GET /intents/{id}/")

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, headers=self.auth, name=name, catch_response=True) as response:
            if not _refused(response) and response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {_describe(response)}")

    @task(1)
    def change_lifecycle(self) -> None:
        """Create a draft, assess and seal it (packager), submit it (approved by policy), then cancel it."""
        intent_id = self._create()
        if intent_id is None:
            return
        INTENT_IDS.append(intent_id)
        prepared = self._write(
            "/risk-assessments/", {"intent": intent_id, "declared": LOW_RISK}, self.packager, 201
        ) and self._write(
            "/evidence-packs/", {"intent": intent_id, "artifact": self.app["artifact"]}, self.packager, 201
        )
        if prepared:
            self._write(f"/intents/{intent_id}/submit/", None, self.auth, 200, "/intents/{id}/submit/", "approved")
        # The withdrawal releases the ring the next lifecycle on this application needs: like any client
        # cleaning up, it honours a refusal's Retry-After and sends again (each refusal is still counted).
        for _ in range(CANCEL_ATTEMPTS):
            if (
                self._write(
                    f"/intents/{intent_id}/cancel/",
                    {"reason": "bench: withdrawn"},
                    self.auth,
                    200,
                    "/intents/{id}/cancel/",
                )
                or not self.refused_after
            ):
                break
            time.sleep(self.refused_after)

    def _create(self) -> str | None:
        body = {
            "name": f"bench-{STAGE}-{uuid.uuid4().hex[:16]}",
            "title": f"Bench change for {self.app['id']}",
            "application": self.app["id"],
            "version": self.app["version"],
            "target_boundary": "acme",
            "target_business_unit": "finance",
            "target_site_classes": ["online"],
            "ring_plan": [{"ring": "lab", "target_group": "G", "device_count": 5}],
            "rollback_plan": {"strategy": "uninstall"},
        }
        with self.client.post(
            f"{API}/intents/", json=body, headers=self.auth, name="POST /intents/", catch_response=True
        ) as created:
            if _refused(created):
                return None
            if created.status_code != 201:
                created.failure(f"create: HTTP {created.status_code} {_describe(created)}")
                return None
            return str(created.json()["id"])

    def _write(
        self,
        path: str,
        body: dict[str, Any] | None,
        auth: dict[str, str],
        expected: int,
        label: str | None = None,
        state: str | None = None,
    ) -> bool:
        """POST one step of the lifecycle; True when it did what the next step needs (and, given `state`, left
        the intent in it: a submit the policy sent to CAB would measure a different path)."""
        name = f"POST {label or path}"
        self.refused_after = 0.0
        with self.client.post(f"{API}{path}", json=body, headers=auth, name=name, catch_response=True) as response:
            if _refused(response):
                self.refused_after = float(response.headers["Retry-After"])
                return False
            if response.status_code == 409 and _code(response) in EXPECTED_REFUSALS:
                response.request_meta["name"] = f"{name} (409 {_code(response)})"
                response.success()
                return False
            if response.status_code != expected:
                response.failure(f"{name}: HTTP {response.status_code} {_describe(response)}")
                return False
            if state and response.json().get("state") != state:
                response.failure(f"{name}: the intent is {response.json().get('state')}, not {state}")
                return False
            return True


CANCEL_ATTEMPTS = 5
EXPECTED_REFUSALS = {"active-change-conflict"}  # two users sharing an application (a pool too small)
REFUSED = " (refused "  # a request the server refused under load: "<name> (refused 503)", not an error


def _refused(response: Any) -> bool:
    """A fast refusal under overload (503 overloaded or 429, both with Retry-After) is recorded under its
    own name as an outcome the server chose, so served/s and refused/s are reported apart."""
    if response.status_code not in (429, 503) or "Retry-After" not in response.headers:
        return False
    response.request_meta["name"] = f"{response.request_meta['name']}{REFUSED}{response.status_code})"
    response.success()
    return True


def _describe(response: Any) -> str:
    """The problem code and detail for an HTTP error; the exception for a connection error (status 0)."""
    if response.status_code == 0:
        return repr(getattr(response, "error", None))
    return _code(response, detail=True)


def _code(response: Any, detail: bool = False) -> str:
    try:
        problem = response.json()
    except Exception:
        return ""
    return f"{problem.get('code', '')}: {problem.get('detail', '')}" if detail else str(problem.get("code", ""))
