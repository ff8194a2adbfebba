"""The content upload flow of a Win32 app (Graph v1.0 mobileAppContent / mobileAppContentFile) and,
the same on `/beta` under the cast `microsoft.graph.macOSPkgApp`, of a macOS .pkg (the .pkg itself
encrypted as `intunewin.seal` does, the content file named after it; Graph beta "Create
mobileAppContentFile" / "commit" of a macOSPkgApp, and Microsoft's own upload script,
microsoft/intune-my-macs src/mainScript.ps1 `Invoke-macOSLobAppUpload`, checked 2026-12-02):

1. `POST …/{cast}/contentVersions` {} → a content version;
2. `POST …/contentVersions/{cv}/files` {name, size (unencrypted), sizeEncrypted, isDependency};
3. poll the file until `azureStorageUriRequestSuccess` and read its SAS `azureStorageUri`;
4. upload the encrypted .intunewin to that URI with Azure Blob "Put Block" (`comp=block`, a
   base64 block id of fixed length, URL-encoded) and "Put Block List" (`comp=blocklist`);
   when the SAS has expired (Azure answers 403 AuthenticationFailed; the expiry time is the
   service's clock, not ours, so it is not compared locally) `POST …/files/{id}/renewUpload`,
   poll for `azureStorageUriRenewalSuccess` and carry on with the new URI;
5. `POST …/files/{id}/commit` {fileEncryptionInfo: the package's true EncryptionInfo}, poll for
   `commitFileSuccess`;
6. `PATCH` the app with `committedContentVersion`.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fleetgate.connectors.base import Permanent, PolicyViolation
from fleetgate.connectors.errors import Transient
from fleetgate.connectors.intune.intunewin import IntuneWin

if TYPE_CHECKING:
    from fleetgate.connectors.intune import IntuneConnector

BLOCK_SIZE = 6 * 1024 * 1024  # under Azure's 100 MiB per Put Block; Microsoft's samples use 6 MiB
POLLS = 10
RENEWALS = 3


def block_id(index: int) -> str:
    return base64.b64encode(f"fleetgate-block-{index:08d}".encode()).decode()


def upload(
    conn: IntuneConnector,
    app_id: str,
    odata_type: str,
    package: IntuneWin,
    *,
    root: str = "",
    file_name: str = "IntunePackage.intunewin",
) -> None:
    """Upload `package` as the app's content on `root` (the Graph version path: v1.0 for a Win32 app,
    /beta for a macOSPkgApp) under the cast `odata_type`; the content file is called `file_name`."""
    root = root or conn.v1
    base = f"{root}/deviceAppManagement/mobileApps/{app_id}/{odata_type.removeprefix('#')}/contentVersions"
    created = conn.json(conn.request("POST", base, json_body={}, dry={"id": "1"}, dry_status=201))
    cv = str(conn.field(created, "id"))
    file_body = {
        "@odata.type": "#microsoft.graph.mobileAppContentFile",
        "name": file_name,
        "size": package.unencrypted_size,
        "sizeEncrypted": package.encrypted_size,
        "isDependency": False,
    }
    made = conn.json(
        conn.request("POST", f"{base}/{cv}/files", json_body=file_body, dry={"id": "dry-run-file"}, dry_status=201)
    )
    file_url = f"{base}/{cv}/files/{conn.field(made, 'id')}"
    state = poll(conn, file_url, "azureStorageUriRequestSuccess")
    blocks: list[str] = []
    for index, chunk in enumerate(package.chunks(BLOCK_SIZE)):
        blocks.append(block_id(index))
        state = _to_blob(conn, file_url, state, f"comp=block&blockid={quote(blocks[-1], safe='')}", chunk, {})
    listing = "".join(f"<Latest>{b}</Latest>" for b in blocks)
    body = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{listing}</BlockList>'
    _to_blob(conn, file_url, state, "comp=blocklist", body.encode(), {"Content-Type": "application/xml"})
    conn.request("POST", f"{file_url}/commit", json_body={"fileEncryptionInfo": package.encryption.as_graph()})
    poll(conn, file_url, "commitFileSuccess")
    conn.request(
        "PATCH",
        f"{root}/deviceAppManagement/mobileApps/{app_id}",
        json_body={"@odata.type": odata_type, "committedContentVersion": cv},
        dry_status=204,
    )


def _to_blob(
    conn: IntuneConnector, file_url: str, state: dict[str, Any], query: str, data: bytes, headers: dict[str, str]
) -> dict[str, Any]:
    """One Put Block / Put Block List on the SAS URI, renewing the SAS when it has expired."""
    for _ in range(RENEWALS + 1):
        uri = str(state.get("azureStorageUri") or "")
        try:
            conn.request("PUT", f"{uri}&{query}", content=data, headers=headers, auth=False, dry_status=201)
            return state
        except (PolicyViolation, Permanent) as exc:
            if exc.status != 403 or "AuthenticationFailed" not in exc.body:
                raise
            state = renew(conn, file_url)
    raise Transient("intune: the upload SAS kept expiring after renewUpload")


def renew(conn: IntuneConnector, file_url: str) -> dict[str, Any]:
    conn.request("POST", f"{file_url}/renewUpload", dry_status=204)  # an action without parameters: no body
    return poll(conn, file_url, "azureStorageUriRenewalSuccess")


def poll(conn: IntuneConnector, url: str, wanted: str) -> dict[str, Any]:
    if conn.config.dry_run:
        return {"uploadState": wanted, "azureStorageUri": f"{conn.config.base_url}/dry-run-blob?sig=dry"}
    for _ in range(POLLS):
        body = conn.json(conn.request("GET", url, safe=True))
        state = str(body.get("uploadState", ""))
        if state == wanted:
            return dict(body)
        if state.endswith("Failed") or state.endswith("TimedOut"):
            raise Permanent(f"intune: content file {state}")
        conn._sleep(1.0)
    raise Transient(f"intune: content file still not {wanted} after {POLLS} polls")


__all__ = ["BLOCK_SIZE", "block_id", "poll", "renew", "upload"]
