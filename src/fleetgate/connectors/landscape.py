"""Canonical Landscape.

Targets the Landscape **legacy API** (`/api/`, `version=2011-08-01`), signed with
HMAC-SHA256 (`signature_method=HmacSHA256`, `signature_version=2`, over "POST", host[:port], path
and the sorted, percent-encoded parameters), sent as a form-encoded POST (`application/x-www-form-
urlencoded` body) for every action, reads included, exactly as the `landscape-api-py3` client and
Canonical's own `landscape-api` client do, plus Landscape's package upload service (dput over
HTTP(S)). Checked 2026-12-02 against: the Landscape documentation's legacy API reference
(docs/reference/api/legacy-api-endpoints/: repositories.md, packages.md, activities.md,
computers.md; "Make a request" for the signature), the "Upload tutorial" and "How to manage
repositories with the API" guides, and the action schema the published client
`landscape-api-py3` 0.9.0 ships (`schemas.json`; the contract tests check every action and
parameter the connector sends against it).

Publish (repositories.md, upload tutorial). An administrator sets up once what Landscape needs:
a distribution, a series, an upload-mode pocket (`CreatePocket mode=upload`, signed by a mirror key
with a secret part) and the uploader key it accepts (`ImportGPGKey`, `AddUploaderGPGKeysToPocket`;
unsigned uploads are refused unless `upload_allow_unsigned`). Publish then:
1. reads the artifact's control fields (Package, Version, Architecture: `debian.py`); a file that
   is no .deb is a PolicyViolation, never a guess;
2. checks with `GetDistributions` that the pocket exists, is in upload mode and carries the
   architecture (a PolicyViolation naming the setup step otherwise);
3. writes the binary upload's .changes (Distribution = the suite `<series>-<pocket>`, the bare
   series for `release`; the .deb's SHA-1 / SHA-256 / MD5 and size), clearsigns it (OpenPGP, the
   `upload_key` secret: an armored secret key whose public half is an uploader key of the pocket);
4. uploads as dput's http method does: `PUT /upload/<account>/<distribution>/<series>/<pocket>/<file>`
   for the .deb, then the .changes (self-hosted account `standalone`, setting `upload_account`);
5. waits for the package to be listed at that version by `ListPocket`: the upload service reports
   a refusal only in its server log (`package-upload.log`), so a package still absent after the
   polls is a Permanent error pointing there.
A crashed publish is found again by `ListPocket` (the package at the .deb's version).

Assign (packages.md, repositories.md). An install first makes sure the ring's computers have the
pocket as an APT source: the repository profile (`repository_profile`, default "fleetgate") is
created if absent (`CreateRepositoryProfile`), holds the pocket (`AddPocketsToRepositoryProfile`)
and is associated with the ring's tag (`AssociateRepositoryProfile`); then `InstallPackages` on
the tag query. Uninstall and retire are `RemovePackages`. InstallPackages and RemovePackages
return "the parent activity created" (`type` ActivityGroup, `parent_id` null, its `id`).
Activities (activities.md): GetActivities takes space-separated criteria `id:N`, `parent-id:N`
("children activities of a specific ID"), `type:`, `status:`, `created-after:DATE` ...; a child
(ChangePackagesRequest) carries `computer_id` and its `changes` (`package`, `type` install /
remove ...).

Tracking: assign returns the parent activity's id and the engine stores it; observe receives it
back as `RingGroup.assignment_id` and reads exactly that operation's children (`parent-id:<id>`),
never another operation on the same package and tag (an older one, or one an admin started). Only
a caller without a stored id (drift comparison) gets the newest operation whose children change the
app's package on the group's computers, told by the children's `changes` and `computer_id`, not by
summary text. A crashed assign (the id never stored) is found again the same way, by the newest
ActivityGroup whose children install (remove) the package on the tag, and only among activities
created at or after the pending idempotency record (`IntentRef.requested_at`, sent as
`created-after:`, whole seconds, the plane's clock taken to be NTP-synchronised with Fleetgate's):
activities have no free-text field to carry a marker, so an older rollout's operation on the
same package and tag would otherwise pass for this one.

Observing: a child that removes the package and succeeded is `not_installed`; a failed child's
detail is its `result_code` rendered by `error_code()` ("1603"), or "timeout" when its
`result_text` says it timed out. Landscape installs packages by name, so two versions of one
package share their activities. A computer's site class is its `site-<class>` tag
(`site-air-gapped` -> air_gapped).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pysequoia

from fleetgate.connectors import debian, group_lists
from fleetgate.connectors.base import (
    AppRef,
    Artifact,
    CheckResult,
    Connector,
    DeviceStatus,
    IntentRef,
    InventoryItem,
    ObserveResult,
    OperationResult,
    Permanent,
    PlaneGroup,
    PolicyViolation,
    RingGroup,
    Tally,
    error_code,
)

STATUS = {"succeeded": "installed", "failed": "failed", "canceled": "not_applicable"}
SITE_TAGS = {"site-online": "online", "site-intermittent": "intermittent", "site-air-gapped": "air_gapped"}
LISTING_POLLS = 5  # ListPocket reads after an upload before concluding the upload service refused it


def sign(secret: str, method: str, host: str, path: str, params: dict[str, str]) -> str:
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    text = "\n".join([method.upper(), host.lower(), path, query])
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def clearsign(armored_secret_key: str, text: str) -> bytes:
    """An OpenPGP cleartext signature of `text` (what debsign makes of a .changes)."""
    try:
        key = pysequoia.Tsk.from_bytes(armored_secret_key.encode())
        return bytes(pysequoia.sign(key.signer(), text.encode(), mode=pysequoia.SignatureMode.CLEAR))
    except (RuntimeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise PolicyViolation(f"landscape: the upload_key secret is no usable OpenPGP secret key ({first})") from exc


class LandscapeConnector(Connector):
    kind = "landscape"
    default_platforms = ("linux",)
    label = "Canonical Landscape"
    api_version = "Landscape legacy API 2011-08-01 (HMAC-SHA256 v2) + package upload (dput over HTTP)"
    required_settings = ("access_key_id",)
    required_secrets = ("secret_key",)
    optional_secrets = ("upload_key",)  # needed to publish: the uploader's armored OpenPGP secret key

    def authenticate(self) -> dict[str, str]:
        return {}

    def call(self, action: str, params: dict[str, str] | None = None, *, safe: bool = False, dry: Any = None) -> Any:
        base = urlsplit(self.config.base_url)
        path = (base.path.rstrip("/") or "") + "/api/"
        signed = {
            "action": action,
            "version": "2011-08-01",
            "access_key_id": str(self.config.settings["access_key_id"]),
            "signature_method": "HmacSHA256",
            "signature_version": "2",
            "timestamp": datetime.fromtimestamp(self.runtime.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **(params or {}),
        }
        signed["signature"] = sign(self.config.secrets.get("secret_key", ""), "POST", base.netloc, path, signed)
        # Form-encoded POST, signed as POST, as both published clients send every action (reads too).
        return self.json(self.request("POST", "/api/", data=signed, auth=False, safe=safe, dry=dry))

    def _pages(self, action: str, params: dict[str, str], tally: Tally | None = None) -> Iterator[dict[str, Any]]:
        offset, limit = 0, max(1, self.config.page_size)
        while True:
            rows = self.call(action, {**params, "limit": str(limit), "offset": str(offset)}, safe=True)
            if tally is not None:
                tally.pages_read += 1
            yield from rows
            if len(rows) < limit:
                return
            offset += limit

    def check(self) -> CheckResult:
        return self.timed_check(
            lambda: f"{len(self.call('GetComputers', {'limit': '1'}, safe=True))} computer(s) visible"
        )

    # ---- publish: a signed binary upload into an upload pocket ------------------------------------

    def _where(self) -> tuple[str, str, str]:
        s = self.config.settings
        return str(s.get("distribution", "ubuntu")), str(s.get("series", "jammy")), str(s.get("pocket", "fleetgate"))

    def _deb(self, artifact: Artifact) -> tuple[debian.Control, bytes]:
        if not artifact.path:
            raise PolicyViolation(f"landscape: {artifact.filename} has no content to upload (Landscape takes a .deb)")
        data = Path(artifact.path).read_bytes()
        try:
            control = debian.read_control(data)
        except debian.NotADebianPackage as exc:
            raise PolicyViolation(f"landscape: {artifact.filename} is not a Debian binary package: {exc}") from exc
        if artifact.package_name and artifact.package_name != control.package:
            raise PolicyViolation(
                f"landscape: {artifact.filename} is package {control.package!r}, not {artifact.package_name!r}"
            )
        return control, data

    def _upload_pocket(self, control: debian.Control) -> dict[str, Any]:
        distribution, series, name = self._where()
        setup = (
            f"create it once: CreatePocket name={name} series={series} distribution={distribution} mode=upload, "
            "then AddUploaderGPGKeysToPocket with the public half of the upload_key"
        )
        found = self.call("GetDistributions", {"names.1": distribution}, safe=True)
        pockets = {
            p.get("name"): p
            for d in found
            if d.get("name") == distribution
            for s in d.get("series") or ()
            if s.get("name") == series
            for p in s.get("pockets") or ()
        }
        pocket = pockets.get(name)
        if pocket is None:
            raise PolicyViolation(f"landscape: no pocket {distribution}/{series}/{name}; {setup}")
        if pocket.get("mode") != "upload":
            raise PolicyViolation(f"landscape: pocket {name} is in {pocket.get('mode')} mode, not upload; {setup}")
        arches = pocket.get("architectures") or []
        if control.architecture != "all" and control.architecture not in arches:
            raise PolicyViolation(
                f"landscape: pocket {name} carries {', '.join(arches) or 'no architecture'}, not {control.architecture}"
            )
        return dict(pocket)

    def _listed(self, control: debian.Control) -> bool:
        distribution, series, name = self._where()
        listing = self.call("ListPocket", {"name": name, "series": series, "distribution": distribution}, safe=True)
        return any(
            [row[0], row[1]] == [control.package, control.version]
            for rows in (listing or {}).values()
            for row in rows
            if isinstance(row, list) and len(row) >= 2
        )

    def _app(self, artifact: Artifact, control: debian.Control) -> AppRef:
        distribution, series, pocket = self._where()
        return AppRef(
            self.kind,
            f"{distribution}/{series}/{pocket}/{control.package}",
            artifact.name,
            artifact.version,
            {"package": control.package, "package_version": control.version, "architecture": control.architecture},
        )

    def publish(self, artifact: Artifact, key: str) -> AppRef:
        control, data = self._deb(artifact)
        distribution, series, name = self._where()
        self._upload_pocket(control)
        upload_key = self.config.secrets.get("upload_key", "")
        if not upload_key:
            raise PolicyViolation("landscape: no upload_key secret: uploads to the pocket must be signed")
        suite = series if name == "release" else f"{series}-{name}"
        filename = debian.deb_filename(control)
        text = debian.changes(control, filename, data, distribution=suite, when=self.runtime.clock())
        signed = clearsign(upload_key, text)
        account = str(self.config.settings.get("upload_account", "standalone"))
        incoming = f"/upload/{account}/{distribution}/{series}/{name}"
        changes_name = filename.removesuffix(".deb") + ".changes"
        octets = {"Content-Type": "application/octet-stream"}
        # dput's http method: every file the .changes lists, then the .changes itself
        self.request("PUT", f"{incoming}/{filename}", content=data, headers=octets, auth=False, dry="")
        self.request("PUT", f"{incoming}/{changes_name}", content=signed, headers=octets, auth=False, dry="")
        if not self.config.dry_run:
            for attempt in range(LISTING_POLLS):
                if self._listed(control):
                    break
                if attempt + 1 < LISTING_POLLS:
                    self._sleep(2.0 * (attempt + 1))
            else:
                raise Permanent(
                    f"landscape: uploaded {changes_name}, but pocket {name} does not list {control.package} "
                    f"{control.version}: the upload service refused it (see the server's package-upload.log)"
                )
        return self._app(artifact, control)

    def find_published(self, artifact: Artifact, key: str) -> AppRef | None:
        control, _ = self._deb(artifact)
        return self._app(artifact, control) if self._listed(control) else None

    def _tag(self, group: RingGroup) -> str:
        return f"tag:{group.external_id or group.name}"

    def _computers(self, group: RingGroup) -> dict[Any, dict[str, Any]]:
        return {c["id"]: c for c in self._pages("GetComputers", {"query": self._tag(group)})}

    def _parents(
        self,
        package: str,
        change: tuple[str, ...],
        computers: dict[Any, dict[str, Any]],
        since: datetime | None = None,
    ) -> Iterator[str]:
        """Newest first: the package operations (ActivityGroup parents) whose per-computer children
        change `package` by one of `change` ("install", "remove") on computers of the group, told by
        the children's own `changes` and `computer_id` fields; with `since`, only those created at or
        after it (to the second: Landscape's creation_time has no finer precision)."""
        query = "type:ActivityGroup"
        if since is not None:
            query += " created-after:" + since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for parent in self.call("GetActivities", {"query": query, "limit": "100"}, safe=True):
            children = self.call("GetActivities", {"query": f"parent-id:{parent['id']}", "limit": "1"}, safe=True)
            if (
                children
                and children[0].get("computer_id") in computers
                and _changes(children[0], package) & set(change)
            ):
                yield str(parent["id"])

    def _change(self, app: AppRef, group: RingGroup, action: str, op: str, key: str) -> OperationResult:
        package = _package_of(app)
        activity = self.call(action, {"query": self._tag(group), "packages.1": package}, dry={"id": 0})
        return OperationResult(op, str(self.field(activity, "id")), status="accepted", correlation=self.marker(key))

    def _repository_for(self, group: RingGroup) -> None:
        """The ring's computers get the upload pocket as an APT source: the repository profile holds
        the pocket and is associated with the ring's tag (each step only when it is missing)."""
        distribution, series, pocket = self._where()
        title = str(self.config.settings.get("repository_profile", "fleetgate"))
        tag = self._tag(group).removeprefix("tag:")
        found = self.call("GetRepositoryProfiles", {"names.1": title}, safe=True)
        profile = found[0] if found else None
        if profile is None:
            profile = self.call(
                "CreateRepositoryProfile",
                {"title": title, "description": "Pockets Fleetgate publishes to"},
                dry={"name": title, "tags": [], "pockets": [], "all_computers": False},
            )
        name = str(profile.get("name") or title)
        ref = {"name": pocket, "series": series, "distribution": distribution}
        if not any({k: str(p.get(k)) for k in ref} == ref for p in profile.get("pockets") or ()):
            self.call(
                "AddPocketsToRepositoryProfile",
                {"name": name, "pockets.1": pocket, "series": series, "distribution": distribution},
            )
        if not profile.get("all_computers") and tag not in (profile.get("tags") or ()):
            self.call("AssociateRepositoryProfile", {"name": name, "tags.1": tag})

    def assign(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult:
        if intent.action == "uninstall":
            return self._change(app, group, "RemovePackages", "assign", key)
        self._repository_for(group)
        return self._change(app, group, "InstallPackages", "assign", key)

    def find_assignment(self, app: AppRef, group: RingGroup, intent: IntentRef, key: str) -> OperationResult | None:
        change = ("remove",) if intent.action == "uninstall" else ("install",)
        computers = self._computers(group)
        found = next(self._parents(_package_of(app), change, computers, intent.requested_at), None)
        return OperationResult("assign", found, "accepted", self.marker(key)) if found else None

    def retire(self, app: AppRef, group: RingGroup, key: str) -> OperationResult:
        return self._change(app, group, "RemovePackages", "retire", key)

    def observe(self, app: AppRef, group: RingGroup) -> ObserveResult:
        tally = Tally(page_size=self.config.page_size)
        package = _package_of(app)
        computers = self._computers(group)
        if group.assignment_id.isdigit():  # the activity our assign created, as the engine stored it
            parent: str | None = group.assignment_id
        else:  # no stored id (a caller without one): the newest operation on the package there
            parent = next(self._parents(package, ("install", "remove"), computers), None)
        if parent is None:
            return tally.result()
        action = "install"
        for child in self._pages("GetActivities", {"query": f"parent-id:{parent}"}, tally):
            removing = "remove" in _changes(child, package)
            action = "uninstall" if removing else action
            status = str(child.get("activity_status", ""))
            state = STATUS.get(status, "pending")
            if state == "installed" and removing:
                state = "not_installed"
            text = str(child.get("result_text") or "")
            detail = error_code(child.get("result_code"), text) if state == "failed" else ""
            computer = computers.get(child.get("computer_id"), {})
            tally.add(
                DeviceStatus(
                    str(child.get("computer_id")),
                    str(computer.get("title") or child.get("computer_id")),
                    state,
                    detail or status + (f": {text}" if text else ""),
                    _site_class(computer.get("tags") or []),
                )
            )
        return tally.result(action)

    def group_size(self, group: RingGroup) -> int:
        return sum(1 for _ in self._pages("GetComputers", {"query": self._tag(group)}))

    def list_groups(self, search: str = "", limit: int = 50) -> list[PlaneGroup]:
        return group_lists.landscape(self, search, limit)

    def inventory(self, group: RingGroup) -> list[InventoryItem]:
        return [
            InventoryItem(
                str(row.get("name")), str(row.get("name")), str(row.get("version", "")), "install", group.name
            )
            for row in self._pages("GetPackages", {"query": self._tag(group), "installed": "true"})
        ]


def _package_of(app: AppRef) -> str:
    return app.attributes.get("package", app.external_id.rsplit("/", 1)[-1])


def _changes(child: dict[str, Any], package: str) -> set[str]:
    """The change types ("install", "remove", ...) a per-computer activity makes to `package`."""
    return {str(c.get("type")) for c in child.get("changes") or () if c.get("package") == package}


def _site_class(tags: list[str]) -> str:
    for tag in tags:
        if tag in SITE_TAGS:
            return SITE_TAGS[tag]
    return ""
