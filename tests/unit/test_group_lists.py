"""Each connector's group listing against its simulator over loopback: the requests it sends, how
strictly the simulators answer them, and the bounds."""

from __future__ import annotations

import httpx
import pytest

from fleetgate.connectors import group_lists
from fleetgate.connectors.base import Transient
from fleetsim.fleet import GroupSpec
from tests.fixtures.connectors.support import connector_for, serving

GROUPS = (GroupSpec("FG-LAB", 3), GroupSpec("FG-CANARY", 4), GroupSpec("ops team", 2))


def test_intune_asks_graph_for_a_sorted_prefix_match_as_an_advanced_query() -> None:
    with serving("intune", groups=GROUPS) as srv:
        conn = connector_for(srv.app)
        found = conn.list_groups("fg-", 1)
        assert [g.name for g in found] == ["FG-CANARY"]
        sent = [path for _, path in srv.app.requests if path.startswith("/v1.0/groups")]
        assert len(sent) == 1
        assert "%24filter=startswith%28displayName%2C%27fg-%27%29" in sent[0]
        token = conn.authenticate()["Authorization"]
        base = srv.url + "/v1.0/groups"
        sorting = {"$filter": "startswith(displayName,'fg')", "$orderby": "displayName"}
        refused = httpx.get(base, params=sorting, headers={"Authorization": token})
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "Request_UnsupportedQuery")
        advanced = httpx.get(
            base,
            params={**sorting, "$count": "true", "$select": "id,displayName"},
            headers={"Authorization": token, "ConsistencyLevel": "eventual"},
        ).json()
        assert advanced["@odata.count"] == 2
        assert [set(g) for g in advanced["value"]] == [{"id", "displayName"}] * 2
        bad = httpx.get(base, params={"$filter": "mail eq 'x'"}, headers={"Authorization": token})
        assert bad.status_code == 400


def test_jamf_lists_the_classic_computer_groups() -> None:
    with serving("jamf", groups=GROUPS) as srv:
        found = connector_for(srv.app).list_groups("", 2)
        assert [(g.id, g.name) for g in found] == [("2", "FG-CANARY"), ("1", "FG-LAB")]
        assert ("GET", "/JSSResource/computergroups") in srv.app.requests


def test_sccm_lists_device_collections_with_their_member_counts() -> None:
    with serving("sccm", groups=GROUPS) as srv:
        found = connector_for(srv.app).list_groups("canary")
        assert [(g.name, g.member_count) for g in found] == [("FG-CANARY", 4)]
        assert found[0].id.endswith("100021")


def test_landscape_counts_tags_and_drops_counts_when_it_could_not_read_every_computer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serving("landscape", groups=GROUPS) as srv:
        conn = connector_for(srv.app)
        assert {g.name: g.member_count for g in conn.list_groups("fg")} == {"FG-CANARY": 4, "FG-LAB": 3}
        monkeypatch.setattr(group_lists, "LANDSCAPE_SCAN", 5)
        assert {g.member_count for g in conn.list_groups("")} == {None}


def test_awx_leaves_out_groups_that_cannot_be_a_limit() -> None:
    with serving("ansible", groups=GROUPS) as srv:
        names = [g.name for g in connector_for(srv.app).list_groups("")]
        assert names == ["FG-CANARY", "FG-LAB"]  # "ops team" has a space: not a single host pattern


def test_an_unreachable_plane_is_transient() -> None:
    with serving("jamf", groups=GROUPS) as srv:
        conn = connector_for(srv.app, max_attempts=1)
    with pytest.raises(Transient):
        conn.list_groups("")
