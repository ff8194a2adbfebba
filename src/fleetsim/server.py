"""Shared plumbing of the simulators: a WSGI app base (werkzeug), fault injection, and a server
that runs in-process on 127.0.0.1 (tests) or in the foreground (`fleetsim serve`).

Fault injection, per simulator, through `sim.faults` in-process or `POST /_sim/faults` over HTTP:
- throttle: 429 with Retry-After (the plane's own throttling body)
- unavailable: 503 bursts
- timeout: the response is held for `delay` seconds (longer than the client's read timeout)
- conflict: the next create is refused as a duplicate name (the plane's own conflict response)
- eventual: an object created now is invisible to the next `reads` reads (eventual consistency)
Each fault matches a method and a path substring, fires `times` times (or with probability `rate`,
drawn from the simulator's seeded RNG) and then disarms.

Control API (never counted, never faulted), on every simulator:
- `POST /_sim/faults`, `DELETE /_sim/faults`: arm / clear faults
- `POST /_sim/advance {"seconds": N}`: move the fleet clock on
- `GET /_sim/state`
- `GET /_sim/counters`, `DELETE /_sim/counters`: mutating requests per operation / object / marker
- `GET /_sim/fleet/groups`, `GET|POST /_sim/fleet/groups/<name>`: read / configure a ring group of
  the fleet (shared by every simulator built on the same `Fleet`); the body is
  `Fleet.configure_group`'s options, a bad option answers 400 naming it
- `/_sim/console/...`: out-of-band changes made by hand (see `console.py`)
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from fleetsim.console import Console, console_rules
from fleetsim.counters import Counters, Mutation
from fleetsim.fleet import Fleet

FAULT_KINDS = ("throttle", "unavailable", "timeout", "conflict", "eventual")


@dataclass
class Fault:
    kind: str
    path: str = ""  # substring of the request path ("" matches every request)
    method: str = ""  # "" matches every method
    times: int = 1  # how often it fires; -1 forever
    rate: float = 1.0  # probability per matching request
    retry_after: int = 1
    delay: float = 2.0
    reads: int = 2


class Faults:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._items: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: list[tuple[str, str, str]] = []

    def add(self, kind: str, **options: Any) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        fault = Fault(kind=kind, **options)
        with self._lock:
            self._items.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def take(self, kind: str, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._items:
                if fault.kind != kind or fault.times == 0:
                    continue
                if fault.method and fault.method.upper() != method.upper():
                    continue
                if fault.path and fault.path not in path:
                    continue
                if fault.rate < 1.0 and self.rng.random() >= fault.rate:
                    continue
                if fault.times > 0:
                    fault.times -= 1
                self.fired.append((kind, method, path))
                return fault
        return None


class Visibility:
    """Eventual consistency: objects created while an `eventual` fault is armed hide for N reads."""

    def __init__(self) -> None:
        self._hidden: dict[str, int] = {}
        self._lock = threading.Lock()

    def hide(self, key: str, reads: int) -> None:
        with self._lock:
            self._hidden[key] = reads

    def visible(self, key: str) -> bool:
        with self._lock:
            left = self._hidden.get(key, 0)
            if left <= 0:
                return True
            self._hidden[key] = left - 1
            return False


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json", headers=headers)


def xml_response(body: str, status: int = 200) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>' + body, status=status, mimetype="application/xml")


@dataclass
class Credentials:
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))


class SimApp(Console):
    """Base WSGI app: routing, the fault gate, token bookkeeping, and the /_sim control API."""

    plane = "sim"
    token_lifetime = 3600

    def __init__(self, *, seed: int = 7, fleet: Fleet | None = None, credentials: Credentials | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fleet = fleet or Fleet(seed=seed)
        self.credentials = credentials or Credentials()
        self.faults = Faults(random.Random(seed + 1))
        self.visibility = Visibility()
        self.tokens: dict[str, float] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) in arrival order, for tests
        self.counters = Counters(self.plane)  # accepted mutating requests (see counters.py)
        self.lock = threading.RLock()
        self._ids = 0
        self._cache: dict[Any, tuple[float, Any]] = {}
        self.generation = 0  # bumped by every change, so cached listings never go stale
        self.url_map = Map([*self.rules(), *self._control_rules()], strict_slashes=False, merge_slashes=False)
        self.base_url = ""

    def changed(self) -> None:
        with self.lock:
            self.generation += 1
            self._cache.clear()

    def advance(self, seconds: float) -> None:
        """Move simulated time on (tests, demos): devices report as the time passes."""
        self.fleet.advance(seconds)
        self.changed()

    # ---- subclasses ---------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        raise NotImplementedError

    def throttled(self, fault: Fault) -> Response:
        return json_response({"error": "throttled"}, 429, {"Retry-After": str(fault.retry_after)})

    def unavailable(self) -> Response:
        return json_response({"error": "service unavailable"}, 503)

    def not_found(self, request: Request) -> Response:
        return json_response({"error": "not found"}, 404)

    def method_not_allowed(self, request: Request, allowed: Any) -> Response:
        return json_response({"error": "method not allowed", "allowed": allowed}, 405)

    def state(self) -> dict[str, Any]:
        return {}

    # ---- helpers ------------------------------------------------------------------------

    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.time() + self.token_lifetime
        return token

    def bearer_ok(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        expires = self.tokens.get(header.removeprefix("Bearer ").strip())
        return expires is not None and expires > time.time()

    def created(self, key: str, method: str, path: str) -> None:
        """Call when an object is created: an armed `eventual` fault hides it for a few reads."""
        fault = self.faults.take("eventual", method, path)
        if fault is not None:
            self.visibility.hide(key, fault.reads)

    def mutation(self, request: Request, operation: str, obj: Any, marker: str = "") -> None:
        """Tag `request` as changing `obj`; the dispatcher counts it with the response's status."""
        request.environ.setdefault("fleetsim.mutations", []).append((operation, str(obj), marker))

    def conflict_armed(self, method: str, path: str) -> bool:
        return self.faults.take("conflict", method, path) is not None

    def cached(self, key: Any, build: Callable[[], Any], ttl: float = 1.0) -> Any:
        """Paged listings of big groups are built once per `ttl` real seconds, not once per page."""
        now = time.monotonic()
        key = (key, self.generation, self.fleet.version)
        with self.lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < ttl:
                return hit[1]
        value = build()
        with self.lock:
            self._cache[key] = (now, value)
        return value

    def page_link(self, request: Request, **params: Any) -> str:
        query = {**request.args.to_dict(), **{k: str(v) for k, v in params.items()}}
        return f"{self.base_url}{request.path}?{urlencode(query)}"

    # ---- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path, method = request.path, request.method
        if not path.startswith("/_sim/"):
            self.requests.append((method, request.full_path.rstrip("?")))
            if (fault := self.faults.take("timeout", method, path)) is not None:
                time.sleep(fault.delay)
            if (fault := self.faults.take("throttle", method, path)) is not None:
                return self.throttled(fault)
            if self.faults.take("unavailable", method, path) is not None:
                return self.unavailable()
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            response: Response = getattr(self, endpoint)(request, **args)
        except NotFound:
            return self.not_found(request)
        except MethodNotAllowed as exc:
            return self.method_not_allowed(request, exc.valid_methods)
        except HTTPException as exc:
            return json_response({"error": exc.name, "message": exc.description}, exc.code or 500)
        for operation, obj, marker in request.environ.get("fleetsim.mutations", []):
            self.counters.record(Mutation(self.plane, operation, obj, marker, method, path, response.status_code))
        return response

    # ---- control API --------------------------------------------------------------------

    def _control_rules(self) -> list[Rule]:
        return [
            Rule("/_sim/faults", methods=["POST"], endpoint="sim_add_fault"),
            Rule("/_sim/faults", methods=["DELETE"], endpoint="sim_clear_faults"),
            Rule("/_sim/advance", methods=["POST"], endpoint="sim_advance"),
            Rule("/_sim/state", methods=["GET"], endpoint="sim_state"),
            Rule("/_sim/counters", methods=["GET"], endpoint="sim_counters"),
            Rule("/_sim/counters", methods=["DELETE"], endpoint="sim_reset_counters"),
            Rule("/_sim/fleet/groups", methods=["GET"], endpoint="sim_groups"),
            Rule("/_sim/fleet/groups/<path:name>", methods=["GET"], endpoint="sim_group"),
            Rule("/_sim/fleet/groups/<path:name>", methods=["POST"], endpoint="sim_configure_group"),
            *console_rules(),
        ]

    def sim_add_fault(self, request: Request) -> Response:
        body = request.get_json(force=True, silent=True) or {}
        try:
            fault = self.faults.add(**body)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(fault.__dict__, 201)

    def sim_clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status=204)

    def sim_advance(self, request: Request) -> Response:
        body = request.get_json(force=True, silent=True) or {}
        self.advance(float(body.get("seconds", 0)))
        return json_response({"now": self.fleet.now()})

    def sim_state(self, request: Request) -> Response:
        return json_response({"plane": self.plane, "seed": self.seed, "now": self.fleet.now(), **self.state()})

    def sim_counters(self, request: Request) -> Response:
        return json_response(self.counters.snapshot())

    def sim_reset_counters(self, request: Request) -> Response:
        self.counters.reset()
        return Response(status=204)

    def sim_groups(self, request: Request) -> Response:
        return json_response({"groups": self.fleet.describe()})

    def sim_group(self, request: Request, name: str) -> Response:
        found = [g for g in self.fleet.describe() if g["name"] == name]
        return json_response(found[0]) if found else json_response({"error": f"no group {name!r}"}, 404)

    def sim_configure_group(self, request: Request, name: str) -> Response:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            return json_response({"error": "the body is a JSON object of group options"}, 400)
        try:
            self.fleet.configure_group(name, **body)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)
        self.changed()
        return self.sim_group(request, name)


@dataclass
class Running:
    app: SimApp
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.app.base_url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(app: SimApp, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> Running:
    """Serve `app` on a background thread; port 0 picks a free port."""
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server(host, port, app, threaded=True, request_handler=getattr(app, "request_handler", None))
    server.daemon_threads = True  # type: ignore[attr-defined]
    app.base_url = f"http://{host}:{server.server_port}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fleetsim-{app.plane}", daemon=True
    )
    thread.start()
    return Running(app=app, server=server, thread=thread)


@contextmanager
def running(app: SimApp) -> Iterator[Running]:
    handle = start(app)
    try:
        yield handle
    finally:
        handle.stop()
