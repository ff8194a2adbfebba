"""Locust scenario for `make bench`: publishers listing, reading, creating and submitting intents.

bench/run.py prepares everything and passes it in through the environment:

- FLEETGATE_BENCH_TOKENS    comma-separated API tokens of the `publisher` demo user
- FLEETGATE_BENCH_FIXTURES  JSON file: {"apps": [{"id", "version"}...], "intents": [id...]}
- FLEETGATE_BENCH_APP_OFFSET first application of the pool this stage may use
- FLEETGATE_BENCH_STAGE     stage label, used in the names of the intents created

Every simulated user owns one application of the pre-created pool (user n of the stage gets
apps[offset + n]) and runs its change lifecycle on it: create a draft, submit it (which claims
the lab ring of that application) and cancel it (which releases the ring). So "one active change
per application per ring" is never violated by the load itself; should two users ever share an
application (pool smaller than the user count), the 409 active-change-conflict is recorded under
its own request name as an expected domain outcome, not as an error.

Since the approvals work, submit needs a sealed evidence pack and a risk assessment. The bench's
drafts have neither, so submit runs its whole transaction (row locks, ring claim, evidence and
risk checks) and is refused with 409 evidence-incomplete, rolled back. That refusal is the
expected outcome here and is recorded under its own name; cancel then withdraws the draft.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

API = "/api/v1"
TOKENS = [t for t in os.environ.get("FLEETGATE_BENCH_TOKENS", "").split(",") if t]
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

    def on_start(self) -> None:
        if not TOKENS or not APPS or not INTENT_IDS:
            raise RuntimeError("Run the benchmark through bench/run.py, which prepares tokens and fixtures.")
        number = next(_user_numbers)
        self.app = APPS[(APP_OFFSET + number) % len(APPS)]
        self.token = TOKENS[number % len(TOKENS)]

    @property
    def auth(self) -> dict[str, str]:
        # A fresh dict per request: locust adds Content-Type/Accept to the dict it is given.
        return {"Authorization": f"Bearer {self.token}"}

    # 7 list + 5 read actions for each lifecycle (3 writes): 12 reads in 15 requests, 80 % reads.
    @task(7)
    def list_intents(self) -> None:
        self._get(f"{API}/intents/?page_size=20", "GET /intents/")

    @task(5)
    def read_intent(self) -> None:
        self._get(f"{API}/intents/{random.choice(INTENT_IDS)}/", "GET /intents/{id}/")

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, headers=self.auth, name=name, catch_response=True) as response:
            if not _refused(response) and response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {_describe(response)}")

    @task(1)
    def change_lifecycle(self) -> None:
        """Create a draft for the user's application, submit it, then withdraw it (cancel)."""
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
                return
            if created.status_code != 201:
                created.failure(f"create: HTTP {created.status_code} {_describe(created)}")
                return
            intent_id = created.json()["id"]
        INTENT_IDS.append(intent_id)
        with self.client.post(
            f"{API}/intents/{intent_id}/submit/",
            headers=self.auth,
            name="POST /intents/{id}/submit/",
            catch_response=True,
        ) as submitted:
            if _refused(submitted):
                pass
            elif submitted.status_code == 409 and _code(submitted) in EXPECTED_REFUSALS:
                submitted.request_meta["name"] = f"POST /intents/{{id}}/submit/ (409 {_code(submitted)})"
                submitted.success()
            elif submitted.status_code != 200:
                submitted.failure(f"submit: HTTP {submitted.status_code} {_describe(submitted)}")
        with self.client.post(
            f"{API}/intents/{intent_id}/cancel/",
            json={"reason": "bench: withdrawn"},
            headers=self.auth,
            name="POST /intents/{id}/cancel/",
            catch_response=True,
        ) as cancelled:
            if not _refused(cancelled) and cancelled.status_code != 200:
                cancelled.failure(f"cancel: HTTP {cancelled.status_code} {_describe(cancelled)}")


EXPECTED_REFUSALS = {"active-change-conflict", "evidence-incomplete"}
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
