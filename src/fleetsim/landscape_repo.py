"""Landscape's repository management, simulated: distributions, series, pockets (upload mode), GPG
keys and repository profiles (the upload service that fills upload pockets: `landscape_upload.py`).

Legacy API actions (docs: legacy-api-endpoints/repositories.md, gpg.md): CreateDistribution,
GetDistributions, CreateSeries, CreatePocket (mode upload; `upload_allow_unsigned` false by
default), ImportGPGKey, AddUploaderGPGKeysToPocket, ListPocket, RemovePackagesFromPocket,
CreateRepositoryProfile, GetRepositoryProfiles, AddPocketsToRepositoryProfile,
AssociateRepositoryProfile; errors by their documented codes (UnknownDistribution, UnknownSeries,
UnknownPocket, InvalidPocketMode, UnknownGPGKey, GPGKeyHasNoSecret, DuplicateDistribution, ...).

Uploads into an upload pocket: `landscape_upload.py`. Computers whose tags carry a repository
profile with a pocket can install what the pocket holds (`visible_packages`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pysequoia
from werkzeug.wrappers import Request, Response

from fleetsim.server import json_response

NAME = re.compile(r"^[a-z0-9][a-z0-9+-]*$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, code: str, message: str) -> Response:
    return json_response({"error": code, "message": message}, status)


@dataclass
class Pocket:
    name: str
    series: str
    distribution: str
    mode: str
    components: list[str]
    architectures: list[str]
    gpg_key: str
    upload_allow_unsigned: bool = False
    upload_gpg_keys: list[str] = field(default_factory=list)
    packages: dict[str, dict[str, str]] = field(default_factory=dict)  # "main/amd64" -> {name: version}
    creation_time: str = field(default_factory=_now)

    @property
    def suite(self) -> str:
        return self.series if self.name == "release" else f"{self.series}-{self.name}"

    def describe(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "name": self.name,
            "mode": self.mode,
            "components": self.components,
            "architectures": self.architectures,
            "gpg_key": self.gpg_key,
            "creation_time": self.creation_time,
        }
        if self.mode == "upload":
            row["upload_allow_unsigned"] = self.upload_allow_unsigned
            row["upload_gpg_keys"] = list(self.upload_gpg_keys)
        return row


class RepositoryActions:
    """Mixed into LandscapeSim: repository state, its legacy API actions and the upload service."""

    account = "standalone"

    def init_repository(self) -> None:
        self.distributions: dict[str, dict[str, dict[str, Pocket]]] = {}  # name -> series -> pocket name -> Pocket
        self.gpg_keys: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.incoming: dict[tuple[str, str], bytes] = {}  # (pocket path, file name) -> bytes
        self.upload_log: list[str] = []
        self.uploader = pysequoia.Tsk.generate("Fleetgate uploader <uploader@fleetgate.invalid>")
        self.mirror_key = pysequoia.Tsk.generate("Landscape mirror key <mirror@landscape.invalid>")

    def seed_repository(self, distribution: str, series: str, pocket: str) -> None:
        """What an administrator sets up once (upload tutorial): keys, an upload pocket, its uploader."""
        self._import_key("mirror-key", str(self.mirror_key), secret=True)
        self._import_key("fleetgate-uploader", str(self.uploader.extract_certificate()), secret=False)
        self.distributions.setdefault(distribution, {}).setdefault(series, {})[pocket] = Pocket(
            pocket, series, distribution, "upload", ["main"], ["amd64", "arm64"], "mirror-key",
            upload_gpg_keys=["fleetgate-uploader"],
        )  # fmt: skip

    @property
    def uploader_secret(self) -> str:
        return str(self.uploader)

    # ---- helpers ----------------------------------------------------------------------------

    def _import_key(self, name: str, material: str, *, secret: bool) -> dict[str, Any]:
        cert = pysequoia.Cert.from_bytes(material.encode()) if not secret else None
        tsk = pysequoia.Tsk.from_bytes(material.encode()) if secret else None
        public = cert or tsk.extract_certificate()
        fingerprint = public.fingerprint.lower()
        key = {
            "id": len(self.gpg_keys) + 1,
            "name": name,
            "key_id": fingerprint[-16:].upper(),
            "fingerprint": ":".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4)),
            "has_secret": secret,
            "cert": public,
        }
        self.gpg_keys[name] = key
        return key

    @staticmethod
    def _key_row(key: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in key.items() if k != "cert"}

    def _pocket(self, p: dict[str, str], name_field: str = "name") -> Pocket | Response:
        distribution = self.distributions.get(p.get("distribution", ""))
        if distribution is None:
            return _error(400, "UnknownDistribution", f"Unknown distribution {p.get('distribution')!r}.")
        series = distribution.get(p.get("series", ""))
        if series is None:
            return _error(400, "UnknownSeries", f"Unknown series {p.get('series')!r}.")
        pocket = series.get(p.get(name_field, ""))
        if pocket is None:
            return _error(400, "UnknownPocket", f"Unknown pocket {p.get(name_field)!r}.")
        return pocket

    def visible_packages(self, tags: list[str]) -> dict[str, str]:
        """Package -> version in the pockets of the repository profiles a computer with `tags` has."""
        seen: dict[str, str] = {}
        for profile in self.profiles.values():
            if profile["all_computers"] or set(profile["tags"]) & set(tags):
                for ref in profile["pockets"]:
                    pocket = self.distributions[ref["distribution"]][ref["series"]][ref["name"]]
                    for listing in pocket.packages.values():
                        seen.update(listing)
        return seen

    # ---- distributions, series, pockets, keys ---------------------------------------------------

    def do_CreateDistribution(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        name = p.get("name", "")
        if not NAME.match(name):
            return _error(400, "InvalidParameterValue", f"Invalid distribution name {name!r}.")
        if name in self.distributions:
            return _error(400, "DuplicateDistribution", f"A distribution named {name!r} exists.")
        self.distributions[name] = {}
        return json_response({"name": name, "access_group": "global", "series": [], "creation_time": _now()})

    def do_GetDistributions(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        names = set(self._numbered(p, "names")) or set(self.distributions)
        return json_response(
            [
                {
                    "name": name,
                    "access_group": "global",
                    "series": [
                        {"name": s, "pockets": [pocket.describe() for pocket in pockets.values()]}
                        for s, pockets in series.items()
                    ],
                }
                for name, series in sorted(self.distributions.items())
                if name in names
            ]
        )

    def do_CreateSeries(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        distribution = self.distributions.get(p.get("distribution", ""))
        if distribution is None:
            return _error(400, "UnknownDistribution", f"Unknown distribution {p.get('distribution')!r}.")
        name = p.get("name", "")
        if not NAME.match(name):
            return _error(400, "InvalidParameterValue", f"Invalid series name {name!r}.")
        if name in distribution:
            return _error(400, "DuplicateSeries", f"A series named {name!r} exists.")
        distribution[name] = {}
        return json_response({"name": name, "pockets": [], "creation_time": _now()})

    def do_CreatePocket(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        distribution = self.distributions.get(p.get("distribution", ""))
        if distribution is None:
            return _error(400, "UnknownDistribution", f"Unknown distribution {p.get('distribution')!r}.")
        series = distribution.get(p.get("series", ""))
        if series is None:
            return _error(400, "UnknownSeries", f"Unknown series {p.get('series')!r}.")
        name, mode = p.get("name", ""), p.get("mode", "")
        if mode not in ("pull", "mirror", "upload"):
            return _error(400, "InvalidPocketMode", f"Invalid pocket mode {mode!r}.")
        if mode != "upload":
            return _error(400, "InvalidPocketMode", "This simulator creates upload pockets only.")
        if not NAME.match(name):
            return _error(400, "InvalidParameterValue", f"Invalid pocket name {name!r}.")
        if name in series:
            return _error(400, "DuplicatePocket", f"A pocket named {name!r} exists.")
        key = self.gpg_keys.get(p.get("gpg_key", ""))
        if key is None:
            return _error(400, "UnknownGPGKey", f"Unknown GPG key {p.get('gpg_key')!r}.")
        if not key["has_secret"]:
            return _error(400, "GPGKeyHasNoSecret", f"The GPG key {key['name']!r} has no secret part.")
        pocket = Pocket(
            name,
            p["series"],
            p["distribution"],
            mode,
            self._numbered(p, "components"),
            self._numbered(p, "architectures"),
            key["name"],
            upload_allow_unsigned=p.get("upload_allow_unsigned", "false") == "true",
        )
        series[name] = pocket
        return json_response(pocket.describe())

    def do_ImportGPGKey(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        name, material = p.get("name", ""), p.get("material", "")
        if not NAME.match(name):
            return _error(400, "InvalidParameterValue", f"Invalid key name {name!r}.")
        if name in self.gpg_keys:
            return _error(400, "GPGKeyAlreadyExists", f"A GPG key named {name!r} exists.")
        try:
            key = self._import_key(name, material, secret="PRIVATE KEY BLOCK" in material)
        except (RuntimeError, ValueError):
            return _error(400, "InvalidGPGKey", "The material is not an OpenPGP key.")
        return json_response(self._key_row(key))

    def do_AddUploaderGPGKeysToPocket(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        pocket = self._pocket(p)
        if isinstance(pocket, Response):
            return pocket
        if pocket.mode != "upload":
            return _error(400, "InvalidPocketMode", "Pocket is not configured in upload mode.")
        for name in self._numbered(p, "gpg_keys"):
            if name not in self.gpg_keys:
                return _error(400, "UnknownGPGKey", f"Unknown GPG key {name!r}.")
            if name not in pocket.upload_gpg_keys:
                pocket.upload_gpg_keys.append(name)
        return json_response(pocket.describe())

    def do_ListPocket(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        pocket = self._pocket(p)
        if isinstance(pocket, Response):
            return pocket
        if not self.visibility.visible(f"pocket:{pocket.distribution}/{pocket.series}/{pocket.name}"):
            return json_response({})  # the upload is still being processed
        return json_response({k: sorted([n, v] for n, v in rows.items()) for k, rows in pocket.packages.items()})

    def do_RemovePackagesFromPocket(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        pocket = self._pocket(p)
        if isinstance(pocket, Response):
            return pocket
        if pocket.mode != "upload":
            return _error(400, "InvalidPocketMode", "Pocket is not configured in upload mode.")
        names = set(self._numbered(p, "packages"))
        for rows in pocket.packages.values():
            for name in names & set(rows):
                del rows[name]
        self.changed()
        return json_response(pocket.describe())

    # ---- repository profiles ------------------------------------------------------------------

    def do_CreateRepositoryProfile(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        title = p.get("title", "")
        name = re.sub(r"[^a-z0-9+-]+", "-", title.lower()).strip("-")
        if not name:
            return _error(400, "InvalidParameterValue", "A title is required.")
        if name in self.profiles:
            return _error(400, "DuplicateRepositoryProfile", f"A repository profile named {name!r} exists.")
        profile = {
            "id": self.next_id(),
            "name": name,
            "title": title,
            "description": p.get("description", ""),
            "tags": [],
            "all_computers": False,
            "pockets": [],
            "apt_sources": [],
        }
        self.profiles[name] = profile
        self.mutation(request, "repository-profile", name)
        return json_response(profile)

    def do_GetRepositoryProfiles(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        names = set(self._numbered(p, "names")) or set(self.profiles)
        return json_response([row for name, row in sorted(self.profiles.items()) if name in names])

    def _profile(self, p: dict[str, str]) -> dict[str, Any] | Response:
        profile = self.profiles.get(p.get("name", ""))
        if profile is None:
            return _error(400, "UnknownRepositoryProfile", f"Unknown repository profile {p.get('name')!r}.")
        return profile

    def do_AddPocketsToRepositoryProfile(
        self, request: Request, p: dict[str, str], limit: int, offset: int
    ) -> Response:
        profile = self._profile(p)
        if isinstance(profile, Response):
            return profile
        for name in self._numbered(p, "pockets"):
            pocket = self._pocket({**p, "name": name})
            if isinstance(pocket, Response):
                return pocket
            ref = {"name": pocket.name, "series": pocket.series, "distribution": pocket.distribution}
            if ref not in profile["pockets"]:
                profile["pockets"].append(ref)
        self.changed()
        self.mutation(request, "repository-profile", profile["name"])
        return json_response(profile)

    def do_AssociateRepositoryProfile(self, request: Request, p: dict[str, str], limit: int, offset: int) -> Response:
        profile = self._profile(p)
        if isinstance(profile, Response):
            return profile
        tags = self._numbered(p, "tags")
        every = p.get("all_computers") == "true"
        if tags and every:
            return _error(400, "InvalidParameterCombination", "Give tags or all_computers=true, not both.")
        profile["all_computers"] = profile["all_computers"] or every
        profile["tags"] = sorted(set(profile["tags"]) | set(tags))
        self.changed()
        self.mutation(request, "repository-profile", profile["name"])
        return json_response(profile)

    def repository_state(self) -> dict[str, Any]:
        return {
            "pockets": {
                f"{d}/{s}/{name}": {k: dict(v) for k, v in pocket.packages.items()}
                for d, series in self.distributions.items()
                for s, pockets in series.items()
                for name, pocket in pockets.items()
            },
            "upload_log": list(self.upload_log),
            "profiles": {name: {k: row[k] for k in ("tags", "pockets")} for name, row in self.profiles.items()},
        }
