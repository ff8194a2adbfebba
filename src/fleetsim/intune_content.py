"""Intune's content upload flow, simulated (a mixin of `IntuneSim`): contentVersions -> files ->
Azure block-blob upload (Put Block / Put Block List on a SAS URL that expires; renewUpload gives a
new one) -> commit. Each pending state resolves on the next poll, as the service does after a few
seconds. A commit is checked as the service checks it: the committed blob must be the size
announced (`sizeEncrypted`), its HMAC-SHA256 (macKey over IV || ciphertext) must match both the
blob's first 32 bytes and `fileEncryptionInfo.mac`, and it must decrypt (AES-256-CBC, PKCS#7) with
`encryptionKey` / `initializationVector` to `size` bytes whose SHA-256 is `fileDigest`; otherwise
the file ends in `commitFileFailed`. The same flow serves a macOSPkgApp (a .pkg encrypted as is,
not zipped) under the cast `microsoft.graph.macOSPkgApp`, on /beta only: on v1.0 that segment
answers 400 "Resource not found for the segment"."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from werkzeug.wrappers import Request, Response

from fleetsim.fleet import _guid
from fleetsim.intune_schema import BETA_ONLY_TYPES, Refused, graph_error, public, validate, wall
from fleetsim.server import SimApp, json_response

SAS_LIFETIME = 3600.0  # simulated seconds a SAS URI stays valid
BLOB_ERROR = '<?xml version="1.0" encoding="utf-8"?><Error><Code>{}</Code><Message>{}</Message></Error>'


def _blob_error(status: int, code: str, message: str) -> Response:
    return Response(BLOB_ERROR.format(code, message), status, mimetype="application/xml")


def verify(blob: bytes, info: dict[str, Any], size: int) -> str:
    """ "" when the encrypted blob matches the committed fileEncryptionInfo, else why not."""
    try:
        key, mac_key, iv, mac, digest = (
            base64.b64decode(str(info.get(k) or ""), validate=True)
            for k in ("encryptionKey", "macKey", "initializationVector", "mac", "fileDigest")
        )
    except (binascii.Error, ValueError):
        return "fileEncryptionInfo holds a value that is not base64"
    if len(key) != 32 or len(iv) != 16 or len(blob) < 48 or (len(blob) - 48) % 16:
        return "the key, IV or blob has the wrong length"
    computed = hmac.new(mac_key, blob[32:], hashlib.sha256).digest()
    if not (hmac.compare_digest(computed, blob[:32]) and hmac.compare_digest(computed, mac)):
        return "the MAC does not match the uploaded content"
    if blob[32:48] != iv:
        return "the initialization vector does not match the uploaded content"
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(decryptor.update(blob[48:]) + decryptor.finalize()) + unpadder.finalize()
    except ValueError:
        return "the content does not decrypt with the committed key"
    if len(plain) != size:
        return f"the decrypted content is {len(plain)} bytes, not the {size} announced"
    if hashlib.sha256(plain).digest() != digest:
        return "the decrypted content does not match fileDigest"
    return ""


class IntuneContent(SimApp):
    apps: dict[str, dict[str, Any]]
    files: dict[str, dict[str, Any]]
    uploads: dict[str, dict[str, Any]]
    content_versions: dict[str, int]

    def _auth(self, request: Request) -> Response | None:
        raise NotImplementedError

    def _app(self, app_id: str, reading: bool = True) -> dict[str, Any] | None:
        raise NotImplementedError

    def _upload_step(self, request: Request, app_id: str) -> None:
        app = self.apps.get(app_id) or {}
        self.mutation(request, "upload", app_id, str(app.get("notes") or ""))

    # ---- content upload -----------------------------------------------------------------

    def _cast_refused(self, request: Request, version: str, app_id: str, cast: str) -> Response | None:
        """The `{app}/{cast}/contentVersions/...` segment: the app's own type, and on v1.0 a v1.0 type
        (a macOSPkgApp's content is on /beta only: v1.0 has no such cast)."""
        if (denied := self._auth(request)) is not None:
            return denied
        name = cast.removeprefix("microsoft.graph.")
        if name in BETA_ONLY_TYPES and version != "beta":
            return graph_error(400, "BadRequest", f"Resource not found for the segment '{cast}'.")
        app = self._app(app_id, reading=False)
        if app is None or name != app["@odata.type"].removeprefix("#microsoft.graph."):
            return self.not_found(request)
        return None

    def create_content_version(self, request: Request, version: str, app_id: str, cast: str) -> Response:
        if (denied := self._cast_refused(request, version, app_id, cast)) is not None:
            return denied
        body = request.get_json(silent=True)
        if body not in ({}, None) and not (isinstance(body, dict) and set(body) <= {"@odata.type"}):
            return graph_error(400, "BadRequest", "A mobileAppContent is created with an empty body.")
        with self.lock:
            self.content_versions[app_id] = self.content_versions.get(app_id, 0) + 1
            cv = str(self.content_versions[app_id])
        self._upload_step(request, app_id)
        return json_response({"@odata.type": "#microsoft.graph.mobileAppContent", "id": cv}, 201)

    def create_file(self, request: Request, version: str, app_id: str, cast: str, cv: str) -> Response:
        if (denied := self._cast_refused(request, version, app_id, cast)) is not None:
            return denied
        body = request.get_json(silent=True)
        try:
            validate(body, "mobileAppContentFile", creating=True)
        except Refused as exc:
            return exc.response()
        assert isinstance(body, dict)
        if (
            not body.get("name")
            or not isinstance(body.get("size"), int)
            or not isinstance(body.get("sizeEncrypted"), int)
        ):
            return graph_error(400, "BadRequest", "A content file needs name, size and sizeEncrypted.")
        file_id = _guid(self.seed, "file", self.next_id())
        record = {
            "@odata.type": "#microsoft.graph.mobileAppContentFile",
            "id": file_id,
            "name": body["name"],
            "size": body["size"],
            "sizeEncrypted": body["sizeEncrypted"],
            "manifest": body.get("manifest"),
            "isDependency": bool(body.get("isDependency", False)),
            "createdDateTime": wall(self.fleet),
            "azureStorageUri": None,
            "azureStorageUriExpirationDateTime": None,
            "isCommitted": False,
            "uploadState": "azureStorageUriRequestPending",
        }
        self.files[file_id] = record
        self.uploads[file_id] = {"app": app_id, "cv": cv, "polls": 0, "blocks": {}, "blob": None, "sig": ""}
        self._upload_step(request, app_id)
        return json_response(public(record, "mobileAppContentFile", tuple(record)), 201)

    def _new_sas(self, file_id: str) -> None:
        state, record = self.uploads[file_id], self.files[file_id]
        state["sig"] = _guid(self.seed, "sas", file_id, self.next_id())
        state["expires"] = self.fleet.now() + SAS_LIFETIME
        record["azureStorageUri"] = f"{self.base_url}/_blob/{file_id}?sv=2019-02-02&sr=b&sp=rcw&sig={state['sig']}"
        record["azureStorageUriExpirationDateTime"] = wall(self.fleet, state["expires"])

    def get_file(self, request: Request, version: str, app_id: str, cast: str, cv: str, file_id: str) -> Response:
        if (denied := self._cast_refused(request, version, app_id, cast)) is not None:
            return denied
        record, state = self.files.get(file_id), self.uploads.get(file_id)
        if record is None or state is None or state["app"] != app_id:
            return self.not_found(request)
        state["polls"] += 1
        upload_state = record["uploadState"]
        if upload_state == "azureStorageUriRequestPending" and state["polls"] > 1:
            self._new_sas(file_id)
            record["uploadState"] = "azureStorageUriRequestSuccess"
        elif upload_state == "azureStorageUriRenewalPending":
            self._new_sas(file_id)
            record["uploadState"] = "azureStorageUriRenewalSuccess"
        elif upload_state == "commitFilePending":
            failure = state.get("commit_failure", "")
            record["uploadState"] = "commitFileFailed" if failure else "commitFileSuccess"
            record["isCommitted"] = not failure
        return json_response(public(record, "mobileAppContentFile", tuple(record)))

    def renew_upload(self, request: Request, version: str, app_id: str, cast: str, cv: str, file_id: str) -> Response:
        if (denied := self._cast_refused(request, version, app_id, cast)) is not None:
            return denied
        record = self.files.get(file_id)
        if record is None:
            return self.not_found(request)
        if record["uploadState"] not in ("azureStorageUriRequestSuccess", "azureStorageUriRenewalSuccess"):
            return graph_error(400, "BadRequest", f"The upload cannot be renewed in state {record['uploadState']}.")
        record["uploadState"] = "azureStorageUriRenewalPending"
        self._upload_step(request, app_id)
        return Response(status=204)

    def blob_put(self, request: Request, file_id: str) -> Response:
        state = self.uploads.get(file_id)
        if state is None or not state["sig"] or request.args.get("sig") != state["sig"]:
            return _blob_error(403, "AuthenticationFailed", "Signature did not match.")
        if self.fleet.now() >= state["expires"]:
            return _blob_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
        comp, data = request.args.get("comp"), request.get_data()
        if comp == "block":
            block = request.args.get("blockid", "")
            try:
                raw = base64.b64decode(block, validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if not raw or len(raw) > 64:
                return _blob_error(
                    400, "InvalidQueryParameterValue", "Value for one of the query parameters is invalid."
                )
            if state["blocks"] and len(next(iter(state["blocks"]))) != len(block):
                return _blob_error(400, "InvalidBlobOrBlock", "The specified blob or block content is invalid.")
            state["blocks"][block] = data
            self._upload_step(request, state["app"])
            return Response(status=201)
        if comp == "blocklist":
            import re

            ids = re.findall(r"<(?:Latest|Uncommitted)>([^<]*)</(?:Latest|Uncommitted)>", data.decode(errors="replace"))
            if b"<BlockList>" not in data or not ids or any(i not in state["blocks"] for i in ids):
                return _blob_error(400, "InvalidBlockList", "The specified block list is invalid.")
            state["blob"] = b"".join(state["blocks"][i] for i in ids)
            self._upload_step(request, state["app"])
            return Response(status=201)
        return _blob_error(400, "InvalidQueryParameterValue", "Value for one of the query parameters is invalid.")

    def commit_file(self, request: Request, version: str, app_id: str, cast: str, cv: str, file_id: str) -> Response:
        if (denied := self._cast_refused(request, version, app_id, cast)) is not None:
            return denied
        record, state = self.files.get(file_id), self.uploads.get(file_id)
        body = request.get_json(silent=True)
        if record is None or state is None:
            return self.not_found(request)
        if not isinstance(body, dict) or set(body) != {"fileEncryptionInfo"}:
            return graph_error(400, "BadRequest", "The request body must hold exactly fileEncryptionInfo.")
        try:
            validate(body["fileEncryptionInfo"], "fileEncryptionInfo")
        except Refused as exc:
            return exc.response()
        if record["uploadState"] not in ("azureStorageUriRequestSuccess", "azureStorageUriRenewalSuccess"):
            return graph_error(400, "BadRequest", f"The file cannot be committed in state {record['uploadState']}.")
        blob = state.get("blob")
        if blob is None:
            failure = "no block list was committed to the blob"
        elif len(blob) != record["sizeEncrypted"]:
            failure = f"the blob is {len(blob)} bytes, sizeEncrypted says {record['sizeEncrypted']}"
        else:
            failure = verify(blob, body["fileEncryptionInfo"], int(record["size"]))
        state["commit_failure"] = failure
        record["uploadState"] = "commitFilePending"
        self._upload_step(request, app_id)
        return Response(status=200)


__all__ = ["IntuneContent", "graph_error", "verify"]
