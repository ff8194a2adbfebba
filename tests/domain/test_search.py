"""Global search: scoped like every read, a fixed number of queries, a few hits per kind."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetgate.core import correlation
from fleetgate.core.roles import Role
from fleetgate.search import queries
from tests.factories import World, make_actor, make_application

R = Role


def _hits(groups: list[queries.Group]) -> dict[str, list[str]]:
    return {g.kind: [h.name for h in g.hits] for g in groups}


def test_finds_each_kind_by_name_and_the_ledger_by_correlation_id(world: World) -> None:
    with correlation.bound("search-me-0001"):
        intent = world.intent(name="zebra-finance", title="Zebra roll-out")
    groups = queries.search(world.actors[R.AUDITOR], "zebra")
    assert [g.kind for g in groups] == list(queries.KINDS)
    assert _hits(groups)["intents"] == ["zebra-finance"]
    assert _hits(groups)["ledger"] == []
    ledger = _hits(queries.search(world.actors[R.AUDITOR], "search-me-0001"))["ledger"]
    assert ledger == ["intent.created"]
    app_hits = queries.search(world.actors[R.PUBLISHER], world.app.name)
    assert [h.id for h in app_hits[0].hits] == [str(world.app.pk)]
    assert intent.pk


def test_reads_are_scoped_like_the_lists(world: World) -> None:
    make_application(make_actor(R.PLATFORM_ADMIN, boundary="*"), name="Globex Zebra", boundary="globex")
    acme_publisher = world.actors[R.PUBLISHER]  # boundary acme
    assert _hits(queries.search(acme_publisher, "zebra"))["applications"] == []
    assert _hits(queries.search(world.actors[R.AUDITOR], "zebra"))["applications"] == ["Globex Zebra"]
    assert queries.search(make_actor(None), "zebra") == []  # no roles: no kind may be read


def test_a_few_hits_per_kind_in_a_fixed_number_of_queries(world: World) -> None:
    admin, auditor = world.actors[R.PLATFORM_ADMIN], world.actors[R.AUDITOR]
    make_application(admin, name="Quokka 1")
    with CaptureQueriesContext(connection) as few:
        queries.search(auditor, "quokka")
    for i in range(2, 9):
        make_application(admin, name=f"Quokka {i}")
    with CaptureQueriesContext(connection) as many:
        groups = queries.search(auditor, "quokka")
    assert len(few) == len(many) == len(queries.KINDS)
    apps = groups[0]
    assert (len(apps.hits), apps.more) == (queries.LIMIT, True)
