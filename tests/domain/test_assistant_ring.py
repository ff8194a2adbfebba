"""Why did this ring stop? Over rollout-engine records: gates, error codes clustered by plane, what
changed since the last good version; device names are scrubbed for remote providers by policy."""

from __future__ import annotations

import pytest

from fleetgate.assistant import engine
from fleetgate.assistant.ring import describe_code
from fleetgate.core.errors import NotFound
from fleetgate.core.roles import Role
from fleetgate.rollouts.models import GateResult, PlaneTarget, RingRun, Rollout
from tests.factories import World, make_connector, sealed_intent

pytestmark = pytest.mark.django_db


def _halted(world: World) -> tuple[object, Rollout]:
    sealed = sealed_intent(world)
    sccm = make_connector(world.actors[Role.PLATFORM_ADMIN])
    intune = make_connector(world.actors[Role.PLATFORM_ADMIN])
    rollout = Rollout.objects.create(
        intent=sealed.intent,
        status="halted",
        current_ring="canary",
        status_detail="Gate success_rate failed in canary.",
    )
    RingRun.objects.create(rollout=rollout, ring="lab", position=0, state="passed")
    run = RingRun.objects.create(rollout=rollout, ring="canary", position=1, state="failed")
    GateResult.objects.create(
        ring_run=run,
        gate="success_rate",
        outcome="fail",
        summary="6 of 10 installed; needs 10.",
        inputs={"installed": 6, "failed": 4, "devices": 10},
    )
    GateResult.objects.create(ring_run=run, gate="security_incidents", outcome="pass", summary="none open")
    PlaneTarget.objects.create(
        ring_run=run,
        connector=sccm,
        artifact=sealed.artifact,
        group="G-canary",
        planned_devices=5,
        observed_devices=5,
        counts={"installed": 2, "failed": 3},
        error_codes={"1603": {"count": 3, "devices": ["WS-0101", "WS-0102", "WS-0103"]}},
    )
    PlaneTarget.objects.create(
        ring_run=run,
        connector=intune,
        artifact=sealed.artifact,
        group="G-canary-2",
        planned_devices=5,
        observed_devices=5,
        counts={"installed": 4, "failed": 1},
        error_codes={"-2016345060": {"count": 1, "devices": ["LT-0007"]}},
    )
    return sealed, rollout


def test_known_codes_are_told_apart() -> None:
    assert describe_code("1603")[0] == "install"
    assert describe_code("0x87D1041C")[0] == "detection"
    assert describe_code("-2016345060")[0] == "detection"  # the same HRESULT, signed decimal
    assert describe_code("42")[0] == "other"


def test_explains_the_failed_ring_with_gate_inputs_and_clusters(world: World) -> None:
    sealed, rollout = _halted(world)
    answer = engine.run("explain_ring", actor=world.actors[Role.ENDPOINT_OPS], intent_id=sealed.intent.pk)  # type: ignore[attr-defined]
    text = answer.text
    assert "Ring canary of " in text
    assert "is failed; the rollout is halted." in text
    assert "- Gate success_rate: fail. 6 of 10 installed; needs 10." in text
    assert "3 x MSI 1603: fatal error during installation" in text
    assert "WS-0101" in text
    assert "1 x 0x87D1041C: installed, but the detection rule did not find the application" in text
    assert "security_incidents" not in text  # only the gates that stopped it
    assert ("ring_run", f"{rollout.pk}:canary") in {(c["type"], c["id"]) for c in answer.citations}


def test_a_ring_by_name_and_no_rollout(world: World) -> None:
    sealed, _ = _halted(world)
    text = engine.run("explain_ring", actor=world.actors[Role.AUDITOR], intent_id=sealed.intent.pk, ring="lab").text  # type: ignore[attr-defined]
    assert "Ring lab of " in text
    assert "is passed" in text
    assert "No device errors" in text
    other = world.intent(name="no-rollout-yet")
    with pytest.raises(NotFound):
        engine.run("explain_ring", actor=world.actors[Role.AUDITOR], intent_id=other.pk)


def test_device_names_never_leave_for_a_remote_provider(world: World) -> None:
    from fleetgate.assistant import ring

    sealed, _ = _halted(world)
    retrieval = ring.explain_ring(world.actors[Role.AUDITOR], intent_id=sealed.intent.pk)  # type: ignore[attr-defined]
    messages, scrubber = engine.outbound(retrieval, {"hostnames": True})
    sent = "\n".join(m.content for m in messages)
    for device in ("WS-0101", "WS-0102", "WS-0103", "LT-0007"):
        assert device not in sent
    assert scrubber.report()["host"] >= 4
    kept, _ = engine.outbound(retrieval, {"hostnames": False})
    assert "WS-0101" in "\n".join(m.content for m in kept)  # the policy decides


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_the_outbound_payload_for_each_provider_is_scrubbed(
    world: World, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from fleetgate.assistant import services
    from fleetgate.assistant.models import Interaction
    from fleetgate.assistant.providers import resilience
    from tests.fixtures.assistant.stubs import stub_server

    monkeypatch.setattr(resilience, "sleep", lambda s: None)
    sealed, _ = _halted(world)
    admin = world.actors[Role.PLATFORM_ADMIN]
    with stub_server() as (base, script):
        services.create_provider(
            actor=admin,
            data={
                "name": f"corp-{kind}",
                "kind": kind,
                "base_url": base if kind == "openai" else base.removesuffix("/v1"),
                "model": "stub-model",
                "api_key": "sk-stub",
                "active": True,
            },
        )
        answer = engine.run("explain_ring", actor=world.actors[Role.ENDPOINT_OPS], intent_id=sealed.intent.pk)  # type: ignore[attr-defined]
    (sent,) = script.requests
    wire = json.dumps(sent["body"])
    for device in ("WS-0101", "WS-0102", "WS-0103", "LT-0007"):
        assert device not in wire
    assert "[HOST-1]" in wire
    assert "MSI 1603" in wire
    assert answer.text.startswith("The ring stopped because WS-0101 failed")  # mapped back locally only
    row = Interaction.objects.get(pk=answer.interaction.pk)
    assert row.provider == f"corp-{kind}"
    assert row.provider_kind == kind
    assert row.model == "stub-model"
    assert row.output == script.text
    assert row.scrubbed["host"] >= 4
    assert row.tokens_out == len(script.text.split())
    assert "WS-0101" not in json.dumps(row.prompt)


def test_a_provider_failure_is_kept_and_raised_as_a_problem(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from fleetgate.assistant import services
    from fleetgate.assistant.models import Interaction
    from fleetgate.assistant.providers import resilience
    from fleetgate.assistant.providers.base import ProviderRejected
    from fleetgate.audit.models import LedgerEvent
    from tests.fixtures.assistant.stubs import Script, stub_server

    monkeypatch.setattr(resilience, "sleep", lambda s: None)
    sealed, _ = _halted(world)
    with stub_server(Script(failures=[(401, {})])) as (base, script):
        services.create_provider(
            actor=world.actors[Role.PLATFORM_ADMIN],
            data={
                "name": "bad-key",
                "kind": "openai",
                "base_url": base,
                "model": "m",
                "api_key": "sk-wrong",
                "active": True,
            },
        )
        with pytest.raises(ProviderRejected) as caught:
            engine.run("explain_ring", actor=world.actors[Role.AUDITOR], intent_id=sealed.intent.pk)  # type: ignore[attr-defined]
    assert caught.value.status == 502
    assert caught.value.code == "assistant-provider-rejected"
    row = Interaction.objects.get()
    assert (row.status, row.provider, row.output) == ("error", "bad-key", "")
    assert "Incorrect API key" in row.error
    assert LedgerEvent.objects.filter(action="assistant.failed", subject_id=str(row.pk)).exists()
    assert len(script.requests) == 1
