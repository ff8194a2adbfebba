"""Intune's content upload flow, simulated (a mixin of `IntuneSim`): contentVersions -> files ->
Azure block-blob upload (Put Block / Put Block List on a SAS URL) -> commit, each pending state
resolving on the next poll as the service does after a few seconds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from fleetsim.fleet import _guid
from fleetsim.server import SimApp, json_response


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    inner = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())}
    return json_response({"error": {"code": code, "message": message, "innerError": inner}}, status, headers)


class IntuneContent(SimApp):
    apps: dict[str, dict[str, Any]]
    files: dict[str, dict[str, Any]]
    blocks: dict[str, int]

    def _auth(self, request: Request) -> Response | None:
        raise NotImplementedError

    def _app(self, app_id: str, reading: bool = True) -> dict[str, Any] | None:
        raise NotImplementedError

    def _upload_step(self, request: Request, app_id: str) -> None:
        app = self.apps.get(app_id) or {}
        self.mutation(request, "upload", app_id, str(app.get("notes") or ""))

    # ---- content upload -----------------------------------------------------------------

    def create_content_version(self, request: Request, version: str, app_id: str, cast: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        app = self._app(app_id, reading=False)
        if app is None or not app["@odata.type"].endswith(cast.split(".")[-1]):
            return self.not_found(request)
        with self.lock:
            app["_cv"] = app.get("_cv", 0) + 1
            cv = str(app["_cv"])
        self._upload_step(request, app_id)
        return json_response({"@odata.type": "#microsoft.graph.mobileAppContent", "id": cv}, 201)

    def create_file(self, request: Request, version: str, app_id: str, cast: str, cv: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        body = request.get_json(silent=True) or {}
        if not body.get("name") or "size" not in body or "sizeEncrypted" not in body:
            return graph_error(400, "BadRequest", "A content file needs name, size and sizeEncrypted.")
        file_id = _guid(self.seed, "file", self.next_id())
        record = {
            "@odata.type": "#microsoft.graph.mobileAppContentFile",
            "id": file_id,
            "name": body["name"],
            "size": body["size"],
            "sizeEncrypted": body["sizeEncrypted"],
            "azureStorageUri": None,
            "isCommitted": False,
            "uploadState": "azureStorageUriRequestPending",
            "app": app_id,
            "cv": cv,
            "_polls": 0,
        }
        self.files[file_id] = record
        self._upload_step(request, app_id)
        return json_response(self._public_file(record), 201)

    def _public_file(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if not k.startswith("_") and k not in ("app", "cv")}

    def get_file(self, request: Request, version: str, app_id: str, cast: str, cv: str, file_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        record = self.files.get(file_id)
        if record is None:
            return self.not_found(request)
        record["_polls"] += 1
        # Each pending state resolves on the next poll, as the service does after a few seconds.
        if record["uploadState"] == "azureStorageUriRequestPending" and record["_polls"] > 1:
            record["uploadState"] = "azureStorageUriRequestSuccess"
            record["azureStorageUri"] = f"{self.base_url}/_blob/{file_id}?sv=2019-02-02&sr=b&sig=simulated"
        elif record["uploadState"] == "commitFilePending":
            record["uploadState"] = "commitFileSuccess"
            record["isCommitted"] = True
        return json_response(self._public_file(record))

    def blob_put(self, request: Request, file_id: str) -> Response:
        record = self.files.get(file_id)
        if record is None or request.args.get("sig") != "simulated":
            return Response('<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code></Error>', 403)
        comp = request.args.get("comp")
        if comp == "block":
            if request.headers.get("x-ms-blob-type") != "BlockBlob" or not request.args.get("blockid"):
                return Response("<Error><Code>InvalidHeaderValue</Code></Error>", 400)
            self.blocks[file_id] = self.blocks.get(file_id, 0) + len(request.get_data())
            self._upload_step(request, record["app"])
            return Response(status=201)
        if comp == "blocklist":
            if b"<BlockList>" not in request.get_data():
                return Response("<Error><Code>InvalidXmlDocument</Code></Error>", 400)
            record["_uploaded"] = True
            self._upload_step(request, record["app"])
            return Response(status=201)
        return Response("<Error><Code>InvalidQueryParameterValue</Code></Error>", 400)

    def commit_file(self, request: Request, version: str, app_id: str, cast: str, cv: str, file_id: str) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        record = self.files.get(file_id)
        body = request.get_json(silent=True) or {}
        if record is None:
            return self.not_found(request)
        if "fileEncryptionInfo" not in body:
            return graph_error(400, "BadRequest", "fileEncryptionInfo is required.")
        if record["uploadState"] != "azureStorageUriRequestSuccess" or not record.get("_uploaded"):
            return graph_error(400, "BadRequest", "The file has not been uploaded.")
        record["uploadState"] = "commitFilePending"
        self._upload_step(request, app_id)
        return Response(status=200)
