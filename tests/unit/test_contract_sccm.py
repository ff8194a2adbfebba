"""Contract tests of the SCCM AdminService connector and simulator.

The vendor's own client (the ConfigurationManager PowerShell module and its SDM serializer) does not
run here, so the simulator is driven by a real Negotiate/NTLM client (pyspnego through the
connector's httpx auth) and the SDMPackageXML the connector sends is parsed with a plain XML parser
against the AppMgmtDigest shape (namespace, identity attributes, deployment type, content,
detection); no XSD validation and no SccmSerializer round trip.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetgate.connectors import sccm_digest as digest
from fleetgate.connectors.base import Permanent, Transient
from fleetgate.connectors.negotiate import NegotiateAuth
from fleetgate.connectors.sccm import SccmConnector
from fleetsim.planes import connection
from fleetsim.sccm import SccmSim
from fleetsim.server import Running
from tests.fixtures.connectors.support import CANARY, INTENT, artifact, connector_for, serving

NS = {"d": "http://schemas.microsoft.com/SystemCenterConfigurationManager/2009/AppMgmtDigest"}
WMI = "/AdminService/wmi"


@pytest.fixture
def srv() -> Iterator[Running]:
    with serving("sccm") as handle:
        yield handle


def windows_client(srv: Running, password: str | None = None, log: list[int] | None = None) -> httpx.Client:
    conn = connection(srv.app)
    hooks = {"response": [lambda r: log.append(r.status_code)]} if log is not None else {}
    auth = NegotiateAuth(conn["settings"]["username"], password or conn["secrets"]["password"])
    return httpx.Client(base_url=srv.url, auth=auth, event_hooks=hooks, timeout=10)  # type: ignore[arg-type]


def site(srv: Running) -> SccmSim:
    assert isinstance(srv.app, SccmSim)
    return srv.app


def sccm(srv: Running, **kw: Any) -> SccmConnector:
    connector = connector_for(srv.app, **kw)
    assert isinstance(connector, SccmConnector)
    return connector


def sent_bodies(connector: SccmConnector) -> list[tuple[str, str, bytes]]:
    seen: list[tuple[str, str, bytes]] = []
    connector.http.event_hooks["request"].append(lambda r: seen.append((r.method, r.url.path, r.read())))
    return seen


# ---- authentication ---------------------------------------------------------------------------


def test_a_real_ntlm_handshake_authenticates_the_connection_once(srv: Running) -> None:
    statuses: list[int] = []
    with windows_client(srv, log=statuses) as client:
        first = client.get(f"{WMI}/SMS_Site")
        assert first.status_code == 200
        assert first.json()["value"][0]["SiteCode"] == "PS1"
        assert statuses == [401, 401, 200]  # offer, NTLM challenge, authenticated
        client.get(f"{WMI}/SMS_Site")
        assert statuses[3:] == [200]  # the kept-alive connection stays authenticated
    assert site(srv).handshakes == 2


def test_basic_and_anonymous_are_refused_with_a_negotiate_offer(srv: Running) -> None:
    conn = connection(srv.app)
    for auth in (None, (conn["settings"]["username"], conn["secrets"]["password"])):
        response = httpx.get(f"{srv.url}{WMI}/SMS_Site", auth=auth, timeout=10)
        assert response.status_code == 401
        assert response.headers.get_list("www-authenticate") == ["Negotiate", "NTLM"]
        assert set(response.json()["error"]) == {"code", "message"}


def test_a_wrong_password_or_another_sites_account_is_refused(srv: Running) -> None:
    with pytest.raises(Permanent) as caught:
        sccm(srv, secrets={"password": "not-the-password"}).check()
    assert caught.value.status == 401
    with serving("sccm", seed=99) as other:
        theirs = connection(other.app)
        with windows_client(srv) as client:
            client.auth = NegotiateAuth(theirs["settings"]["username"], theirs["secrets"]["password"])
            assert client.get(f"{WMI}/SMS_Site").status_code == 401


# ---- the application digest -------------------------------------------------------------------


def test_publish_creates_the_application_from_its_digest_only(srv: Running, tmp_path: Path) -> None:
    connector = sccm(srv)
    seen = sent_bodies(connector)
    source = artifact(tmp_path)
    app = connector.publish(source, "k-publish")
    creates = [json.loads(body) for method, path, body in seen if method == "POST" and path.endswith("SMS_Application")]
    assert len({json.dumps(c) for c in creates}) == 1
    assert set(creates[0]) == {"SDMPackageXML"}
    root = ET.fromstring(creates[0]["SDMPackageXML"])
    assert root.tag == f"{{{NS['d']}}}AppMgmtDigest"
    application = root.find("d:Application", NS)
    assert application is not None
    scope = f"ScopeId_{site(srv).site_id.strip('{}')}"
    assert application.get("AuthoringScopeId") == scope
    assert application.get("Version") == "1"
    assert str(application.get("LogicalName")).startswith("Application_")
    assert application.findtext("d:Title", namespaces=NS) == "Firefox ESR 128.6.0"
    assert application.findtext("d:Publisher", namespaces=NS) == "Mozilla"
    assert connector.marker("k-publish") in str(application.findtext("d:Description", namespaces=NS))
    reference = application.find("d:DeploymentTypes/d:DeploymentType", NS)
    dt = root.find("d:DeploymentType", NS)
    assert reference is not None
    assert dt is not None
    assert reference.get("LogicalName") == dt.get("LogicalName")
    assert dt.get("AuthoringScopeId") == scope
    installer = dt.find("d:Installer", NS)
    assert installer is not None
    assert installer.get("Technology") == "Script"
    file = installer.find("d:Contents/d:Content/d:File", NS)
    assert file is not None
    assert (file.get("Name"), file.get("Size")) == (source.filename, str(source.size))
    location = str(installer.findtext("d:Contents/d:Content/d:Location", namespaces=NS))
    assert location.startswith(site(srv).content_share + "\\Fleetgate\\")
    assert installer.findtext("d:CustomData/d:DetectionMethod", namespaces=NS) == "Script"
    script = str(installer.findtext("d:CustomData/d:DetectionScript", namespaces=NS))
    assert "{1F2E3D4C-5B6A-4978-8695-A4B3C2D1E0F9}" in script  # the install facts' product code rule
    assert "msiexec /i" in str(installer.findtext("d:CustomData/d:InstallCommandLine", namespaces=NS))
    assert installer.find("d:DetectAction/d:Provider", NS) is not None
    # the provider derived the read-only properties; the lazy PackageID came from the instance by key
    row = site(srv).applications[int(app.external_id)]
    assert (row["LocalizedDisplayName"], row["Manufacturer"], row["SoftwareVersion"]) == (
        "Firefox ESR 128.6.0",
        "Mozilla",
        "128.6.0",
    )
    assert app.attributes["package_id"] == row["PackageID"]
    assert row["PackageID"] in site(srv).distributed
    assert (
        "GET",
        f"{WMI}/SMS_Application({app.external_id})",
    ) in site(srv).requests


def test_the_content_reaches_the_share_the_deployment_type_names(srv: Running, tmp_path: Path) -> None:
    source = artifact(tmp_path)
    app = sccm(srv).publish(source, "k-content")
    placed = list(Path(site(srv).content_dir).rglob(source.filename))
    assert len(placed) == 1
    assert hashlib.sha256(placed[0].read_bytes()).hexdigest() == source.sha256
    assert site(srv).content_sha256[int(app.external_id)] == source.sha256


def test_content_that_does_not_match_its_digest_is_never_published(srv: Running, tmp_path: Path) -> None:
    tampered = replace(artifact(tmp_path), sha256="0" * 64)
    with pytest.raises(Permanent, match="does not match its sha256"):
        sccm(srv).publish(tampered, "k")
    assert site(srv).applications == {}
    assert not any(p.is_file() for p in Path(site(srv).content_dir).rglob("*"))


def test_publish_needs_the_content_share_settings(srv: Running, tmp_path: Path) -> None:
    connector = sccm(srv)
    connector.config = replace(connector.config, settings={"username": connector.config.settings["username"]})
    with pytest.raises(Permanent, match="content_share"):
        connector.publish(artifact(tmp_path), "k")


def test_a_publish_that_crashed_after_the_create_is_found_and_distributed(srv: Running, tmp_path: Path) -> None:
    source = artifact(tmp_path)
    first = sccm(srv, max_attempts=1)
    site(srv).faults.add("unavailable", path="/SMS_Application(", method="GET", times=1)
    with pytest.raises(Transient):
        first.publish(source, "k-crash")  # created, but the key lookup for PackageID failed
    assert len(site(srv).applications) == 1
    assert site(srv).distributed == set()
    found = sccm(srv).find_published(source, "k-crash")
    assert found is not None
    assert found.attributes["package_id"] in site(srv).distributed
    assert sccm(srv).find_published(source, "another-key") is None


# ---- what the simulated provider refuses ------------------------------------------------------


def _digest(srv: Running, tmp_path: Path) -> str:
    connector = sccm(srv)
    seen = sent_bodies(connector)
    app = connector.publish(artifact(tmp_path, name="Probe"), "k-probe")
    site(srv).applications.pop(int(app.external_id))
    return str(next(json.loads(b)["SDMPackageXML"] for m, p, b in seen if m == "POST" and p.endswith("Application")))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"LocalizedDisplayName": "Probe"}, "read-only"),
        ({"PackageID": "PS100001"}, "read-only"),
        ({"Manufacturer": "Mozilla"}, "read-only"),
        ({"Colour": "blue"}, "does not exist on type 'AdminService.SMS_Application'"),
    ],
)
def test_create_refuses_read_only_and_unknown_properties(
    srv: Running, tmp_path: Path, change: dict[str, str], message: str
) -> None:
    xml = _digest(srv, tmp_path)
    with windows_client(srv) as client:
        response = client.post(f"{WMI}/SMS_Application", json={"SDMPackageXML": xml, **change})
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert site(srv).applications == {}


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda x: "<AppMgmtDigest><Application/></AppMgmtDigest>", "namespace"),
        (lambda x: x.replace("ScopeId_", "ScopeId_0000"), "authoring scope"),
        (lambda x: x.replace("<Location>", "<Location>\\\\elsewhere\\share\\"), "not accessible"),
        (lambda x: x.replace("DetectionMethod>Script<", "DetectionMethod>Guess<"), "detection method"),
        (lambda x: x.replace('Size="', 'Size="9'), "bytes"),
    ],
)
def test_create_refuses_what_is_not_a_readable_application_digest(
    srv: Running, tmp_path: Path, mangle: Any, message: str
) -> None:
    xml = _digest(srv, tmp_path)
    with windows_client(srv) as client:
        response = client.post(f"{WMI}/SMS_Application", json={"SDMPackageXML": mangle(xml)})
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]


def test_queries_leave_out_lazy_properties_the_instance_by_key_has_them(srv: Running, tmp_path: Path) -> None:
    app = sccm(srv).publish(artifact(tmp_path), "k")
    with windows_client(srv) as client:
        listed = client.get(f"{WMI}/SMS_Application", params={"$filter": "IsLatest eq true"}).json()["value"]
        keyed = client.get(f"{WMI}/SMS_Application({app.external_id})").json()["value"]
        missing = client.get(f"{WMI}/SMS_Application(1)")
    assert "PackageID" not in listed[0]
    assert "SDMPackageXML" not in listed[0]
    assert keyed[0]["PackageID"] == app.attributes["package_id"]
    assert keyed[0]["SDMPackageXML"].startswith("<?xml")
    assert missing.status_code == 404
    with windows_client(srv) as client:
        refused = client.delete(f"{WMI}/SMS_Application({app.external_id})")
    assert refused.status_code == 405
    assert "does not support http method 'DELETE'" in refused.json()["error"]["message"]
    assert set(missing.json()["error"]) == {"code", "message"}


def test_a_deployment_with_an_unknown_or_read_only_property_is_refused(srv: Running, tmp_path: Path) -> None:
    connector = sccm(srv)
    app = connector.publish(artifact(tmp_path), "k")
    collection = next(c for c, n in site(srv).collections.items() if n == CANARY.name)
    body = {
        "AssignmentName": "x",
        "ApplicationName": "Firefox ESR 128.6.0",
        "AssignedCIs": [int(app.external_id)],
        "TargetCollectionID": collection,
        "DesiredConfigType": 1,
        "OfferTypeID": 0,
    }
    with windows_client(srv) as client:
        for extra, message in (
            ({"AssignmentID": 5}, "read-only"),
            ({"Internal": 1}, "does not exist"),
            ({"SourceSite": "XX1"}, "is not this site"),
        ):
            response = client.post(f"{WMI}/SMS_ApplicationAssignment", json={**body, **extra})
            assert response.status_code == 400
            assert message in response.json()["error"]["message"]
        assert client.post(f"{WMI}/SMS_ApplicationAssignment", json=body).status_code == 201
    assert connector.find_assignment(app, CANARY, INTENT, "never") is None


def test_content_paths_stay_inside_the_share(tmp_path: Path) -> None:
    share = "\\\\cm01.corp.example\\Sources$"
    inside = digest.local_path(share, str(tmp_path), share + "\\Fleetgate\\Tool\\1.0_ab\\")
    assert inside == tmp_path / "Fleetgate" / "Tool" / "1.0_ab"
    for bad in (share + "\\..\\etc\\", "\\\\other\\share\\x\\", share + "\\a/b\\"):
        with pytest.raises(Permanent):
            digest.local_path(share, str(tmp_path), bad)
    with pytest.raises(Permanent, match="UNC"):
        digest.content_folder("/mnt/sources", artifact(tmp_path), digest.Identity.of("{0-1}", "k"))


def test_a_create_that_conflicts_with_its_own_earlier_attempt_is_that_attempt(srv: Running, tmp_path: Path) -> None:
    source = artifact(tmp_path)
    first = sccm(srv).publish(source, "k-twice")
    again = sccm(srv).publish(source, "k-twice")  # a second worker, the first one's record lost
    assert again.external_id == first.external_id
    assert len(site(srv).applications) == 1
    with pytest.raises(Permanent) as caught:
        sccm(srv).publish(source, "another-key")  # same title, not ours: the provider's 409 stands
    assert caught.value.status == 409
