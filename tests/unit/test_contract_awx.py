"""AWX contract: awxkit (the official AWX client) walks the simulator, and the simulator refuses
what AWX refuses, with AWX's bodies; the Ansible connector sends what awxkit sends and guards
against what AWX silently does (a reserved `limit` filter, a 403 on `extra_vars`, ignored launch
fields, host summaries only at the end of the play). Over real HTTP on loopback; no database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from awxkit import exceptions as awx_exc
from awxkit.api.client import Connection
from awxkit.api.pages import Api
from awxkit.config import config as awx_config
from awxkit.utils import PseudoNamespace

from fleetgate.connectors.base import AppRef, ConnectorConfig, RingGroup, Runtime
from fleetgate.connectors.errors import Permanent, PolicyViolation
from fleetgate.connectors.registry import KINDS
from fleetsim.awx import USERNAME, AwxSim
from fleetsim.fleet import Fleet, GroupSpec
from fleetsim.planes import connection
from fleetsim.server import Running, start
from tests.fixtures.connectors.support import CANARY, INTENT, LAB, FakeClock, Sleeps, artifact, connector_for

GROUPS = (GroupSpec("FG-LAB", 8, latency_s=60), GroupSpec("FG-CANARY", 30, latency_s=60))


@pytest.fixture
def srv() -> Iterator[Running]:
    fleet = Fleet(seed=3, groups=GROUPS, success_probability=1.0, not_applicable_rate=0.0, speed=0.0)
    handle = start(AwxSim(seed=3, fleet=fleet))
    try:
        yield handle
    finally:
        handle.stop()


def sim(srv: Running) -> AwxSim:
    assert isinstance(srv.app, AwxSim)
    return srv.app


def v2_with_token(srv: Running) -> Any:
    """awxkit's own login: basic auth, a personal access token minted, then Bearer."""
    password = sim(srv).credentials.client_secret
    awx_config.credentials = PseudoNamespace({"default": {"username": USERNAME, "password": password}})
    conn = Connection(srv.url)
    conn.login(username=USERNAME, password=password)
    v2 = Api(conn, endpoint="/api/").get().current_version.get()
    token = v2.get_oauth2_token(username=USERNAME, password=password)
    conn.login(token=token)
    return v2


def http(srv: Running, path: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {sim(srv).token}"}
    return httpx.get(f"{srv.url}{path}", params=params, headers=headers)


# ---- awxkit walks the simulator -----------------------------------------------------------------


def test_awxkit_logs_in_launches_and_reads_the_job_and_its_host_summaries(srv: Running, tmp_path: Path) -> None:
    v2 = v2_with_token(srv)
    assert v2.me.get().results[0].username == USERNAME
    jt = v2.job_templates.get(name="Fleetgate software deployment").results[0]
    prompts = jt.related.launch.get()
    assert (prompts.ask_limit_on_launch, prompts.ask_variables_on_launch) == (True, True)
    assert prompts.variables_needed_to_start == ["fleetgate_package", "fleetgate_state"]

    connector = connector_for(sim(srv), dry_run=True)  # what the connector would POST, unsent
    app = connector.publish(artifact(tmp_path), "p")
    connector.assign(app, LAB, INTENT, "a")
    launch = next(r for r in connector.recorded if r.method == "POST")
    assert launch.url.endswith(f"/api/v2/job_templates/{jt.id}/launch/")
    payload = json.loads(launch.body)

    job = jt.launch(payload)  # awxkit posts the connector's payload and finds the job it made
    assert (job.type, job.limit, job.launch_type) == ("job", "FG-LAB", "manual")
    assert json.loads(job.extra_vars)["fleetgate_correlation_id"] == connector.marker("a")
    assert job.get().status == "pending"
    assert job.related.job_host_summaries.get().count == 0, "no summaries before the play ends"
    sim(srv).advance(61)
    finished = job.get()
    assert (finished.status, finished.failed, finished.event_processing_finished) == ("successful", False, True)
    summaries = finished.related.job_host_summaries.get(page_size=5)
    assert summaries.count == 8
    assert summaries.next == f"/api/v2/jobs/{job.id}/job_host_summaries/?page_size=5&page=2"
    assert {s.host_name for s in summaries.get(all_pages=True).results} == {
        d.name for d in sim(srv).fleet.devices("FG-LAB")
    }

    live = connector_for(sim(srv))  # the connector finds that same job by its marker
    found = live.find_assignment(app, LAB, INTENT, "a")
    assert found is not None
    assert found.external_id == str(job.id)
    mine = v2.jobs.get(job_template=jt.id, limit__exact="FG-LAB", launch_type="manual", order_by="-id")
    assert [j.id for j in mine.results] == [job.id]


def test_awxkit_sees_awx_errors(srv: Running) -> None:
    v2 = v2_with_token(srv)
    with pytest.raises(awx_exc.Forbidden) as forbidden:
        v2.jobs.get(extra_vars__icontains="fleetgate")
    assert forbidden.value.msg == {"detail": "Filtering on extra_vars is not allowed."}
    with pytest.raises(awx_exc.BadRequest) as bad:
        v2.jobs.get(colour="red")
    assert bad.value.msg == {"detail": "Job has no field named 'colour'"}
    jt = v2.job_templates.get().results[0]
    with pytest.raises(awx_exc.BadRequest) as missing:
        jt.related.launch.post({"extra_vars": {"fleetgate_package": "x"}})
    assert missing.value.msg == {"variables_needed_to_start": ["'fleetgate_state' value missing"]}
    with pytest.raises(awx_exc.NotFound) as gone:
        v2.jobs.get(id=1, page=3)
    assert gone.value.msg == {"detail": "Invalid page."}
    bad_id = http(srv, "/api/v2/jobs/", job_template="")
    assert (bad_id.status_code, bad_id.json()) == (400, {"detail": "Invalid job_template id: "})
    headers = {"Authorization": f"Bearer {sim(srv).token}"}
    refused = httpx.delete(f"{srv.url}/api/v2/job_templates/{jt.id}/", headers=headers)
    assert (refused.status_code, refused.json()) == (405, {"detail": 'Method "DELETE" not allowed.'})
    anonymous = httpx.get(f"{srv.url}/api/v2/jobs/")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "detail": "Authentication credentials were not provided. To establish a login session, visit /api/login/."
    }
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer realm=api")


# ---- the reserved `limit` name and the ring filter ---------------------------------------------


def test_limit_is_reserved_and_ignored_while_limit_exact_filters(srv: Running, tmp_path: Path) -> None:
    connector = connector_for(sim(srv))
    app = connector.publish(artifact(tmp_path), "p")
    connector.assign(app, LAB, INTENT, "lab")
    connector.assign(app, CANARY, INTENT, "canary")
    ignored = http(srv, "/api/v2/jobs/", limit="FG-LAB").json()
    assert [j["limit"] for j in ignored["results"]] == ["FG-LAB", "FG-CANARY"], "AWX skips ?limit= silently"
    exact = http(srv, "/api/v2/jobs/", limit__exact="FG-LAB").json()
    assert [j["limit"] for j in exact["results"]] == ["FG-LAB"]
    newest = http(srv, "/api/v2/jobs/", order_by="-id").json()
    assert [j["limit"] for j in newest["results"]] == ["FG-CANARY", "FG-LAB"]

    sim(srv).advance(61)  # the newer CANARY job must not answer for LAB
    assert (connector.observe(app, LAB).installed, connector.observe(app, LAB).total) == (8, 8)
    assert connector.observe(app, CANARY).installed == 30
    assert [i.group for i in connector.inventory(LAB)] == ["FG-LAB"]


def test_crash_recovery_finds_the_job_without_filtering_on_extra_vars(srv: Running, tmp_path: Path) -> None:
    connector = connector_for(sim(srv))
    app = connector.publish(artifact(tmp_path), "p")
    made = connector.assign(app, LAB, INTENT, "a")
    connector.assign(app, LAB, INTENT, "b")  # another launch on the same group
    found = connector.find_assignment(app, LAB, INTENT, "a")
    assert found is not None
    assert found.external_id == made.external_id
    assert connector.find_assignment(app, CANARY, INTENT, "a") is None
    assert connector.find_assignment(app, LAB, INTENT, "never") is None
    assert not [p for _, p in sim(srv).requests if "extra_vars" in p]


# ---- ignored launch fields ----------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["ask_limit_on_launch", "ask_variables_on_launch"])
def test_a_template_that_would_ignore_the_limit_or_the_vars_is_refused_before_launch(
    srv: Running, tmp_path: Path, flag: str
) -> None:
    v2 = v2_with_token(srv)
    v2.job_templates.get().results[0].patch(**{flag: False})
    connector = connector_for(sim(srv))
    app = connector.publish(artifact(tmp_path), "p")
    with pytest.raises(PolicyViolation, match=flag):
        connector.assign(app, CANARY, INTENT, "a")
    assert sim(srv).counters.count("assign") == 0
    assert sim(srv).jobs == {}


def test_awx_runs_an_unprompted_limit_on_the_whole_inventory_and_says_so(srv: Running) -> None:
    """What the connector's refusal protects against: AWX launches anyway, on every host."""
    v2 = v2_with_token(srv)
    jt = v2.job_templates.get().results[0]
    jt.patch(ask_limit_on_launch=False)
    extra = {"fleetgate_package": "x", "fleetgate_state": "present"}
    posted = jt.related.launch.post({"extra_vars": extra, "limit": "FG-CANARY"})
    assert posted.ignored_fields == {"limit": "FG-CANARY"}
    assert posted.limit == ""
    sim(srv).advance(61)
    assert v2.jobs.get(id=posted.job).results[0].related.job_host_summaries.get().count == 38


def test_a_launch_that_ignored_fields_anyway_is_canceled_and_refused() -> None:
    """The template changed between the prompt check and the launch: cancel the job at once."""
    sent: list[tuple[str, str]] = []

    def plane(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path))
        if request.url.path.endswith("/launch/") and request.method == "GET":
            return httpx.Response(200, json={"ask_limit_on_launch": True, "ask_variables_on_launch": True})
        if request.url.path.endswith("/launch/"):
            return httpx.Response(201, json={"job": 41, "ignored_fields": {"limit": "FG-LAB"}, "limit": ""})
        return httpx.Response(202)

    config = ConnectorConfig(kind="ansible", base_url="http://awx.invalid", secrets={"token": "t"}, max_attempts=1)
    connector = KINDS["ansible"](
        config, Runtime(sleep=Sleeps(), clock=FakeClock(), transport=httpx.MockTransport(plane))
    )
    app = AppRef("ansible", "7:firefox-esr=1", "Firefox", "1", {"template": "7", "package": "firefox-esr"})
    with pytest.raises(PolicyViolation, match="job was canceled"):
        connector.assign(app, LAB, INTENT, "a")
    assert sent[-1] == ("POST", "/api/v2/jobs/41/cancel/")


# ---- host summaries only at the end of the play ----------------------------------------------


def test_a_running_jobs_hosts_are_pending_but_failed_events_count(srv: Running, tmp_path: Path) -> None:
    sim(srv).fleet.configure_group("FG-CANARY", latency_median_s=60, latency_sigma=0.5, success_rate=0.5)
    connector = connector_for(sim(srv))
    app = connector.publish(artifact(tmp_path), "p")
    made = connector.assign(app, CANARY, INTENT, "a")
    jid = int(made.external_id)
    sim(srv).advance(60)  # about half the hosts have reported; the play goes on
    assert http(srv, f"/api/v2/jobs/{jid}/").json()["status"] == "running"
    assert http(srv, f"/api/v2/jobs/{jid}/job_host_summaries/").json()["count"] == 0
    running = connector.observe(app, CANARY)
    failed_now = http(srv, f"/api/v2/jobs/{jid}/job_events/", event="runner_on_failed").json()["count"]
    assert 0 < failed_now < 30
    assert (running.installed, running.failed, running.pending) == (0, failed_now, 30 - failed_now)
    sim(srv).advance(30 * 86400)
    done = connector.observe(app, CANARY)
    assert done.pending == 0
    assert done.installed + done.failed == 30
    assert http(srv, f"/api/v2/jobs/{jid}/").json()["status"] == "failed"


def test_unreachable_hosts_end_the_play_dark_and_stay_pending(srv: Running, tmp_path: Path) -> None:
    sim(srv).fleet.configure_group("FG-LAB", offline={"online": 0.25})
    connector = connector_for(sim(srv))
    app = connector.publish(artifact(tmp_path), "p")
    connector.assign(app, LAB, INTENT, "a")
    sim(srv).advance(61)
    observed = connector.observe(app, LAB)
    assert (observed.installed, observed.pending) == (6, 2)


# ---- auth -------------------------------------------------------------------------------------


def test_basic_auth_where_configured_and_its_refusal(srv: Running) -> None:
    conn = connection(sim(srv))
    settings = {**conn["settings"], "auth": "basic", "username": USERNAME}
    config = ConnectorConfig(kind="ansible", base_url=srv.url, settings=settings, secrets=conn["secrets"])
    assert KINDS["ansible"](config, Runtime(sleep=Sleeps(), clock=FakeClock())).check().ok
    wrong = ConnectorConfig(kind="ansible", base_url=srv.url, settings=settings, secrets={"token": "nope"})
    with pytest.raises(Permanent) as caught:
        KINDS["ansible"](wrong, Runtime(sleep=Sleeps(), clock=FakeClock())).check()
    assert caught.value.status == 401
    assert "Invalid username/password." in caught.value.body


def test_a_limit_that_is_a_host_pattern_is_refused(srv: Running, tmp_path: Path) -> None:
    connector = connector_for(sim(srv))
    app = connector.publish(artifact(tmp_path), "p")
    with pytest.raises(Permanent, match="single inventory group"):
        connector.assign(app, RingGroup("FG-LAB,FG-CANARY"), INTENT, "a")
    assert sim(srv).jobs == {}


def test_a_job_is_canceled_only_while_it_runs(srv: Running) -> None:
    v2 = v2_with_token(srv)
    jt = v2.job_templates.get().results[0]
    job = jt.launch({"extra_vars": {"fleetgate_package": "x", "fleetgate_state": "present"}, "limit": "FG-LAB"})
    assert job.related.cancel.get().can_cancel is True
    job.related.cancel.post()
    assert job.get().status == "canceled"
    sim(srv).advance(61)
    assert job.related.job_host_summaries.get().count == 0, "a canceled play writes no summaries"
    with pytest.raises(awx_exc.MethodNotAllowed):
        job.related.cancel.post()
    relaunched = httpx.post(f"{srv.url}/_sim/console/assignments/{job.id}", json={"version": "2"})
    assert relaunched.status_code == 200
    assert job.get().status == "pending", "a relaunch by hand runs the job again"
