"""Landscape's package upload service, simulated (a mixin of `LandscapeSim`, over the repository
state of `landscape_repo.py`).

Reference (checked 2026-12-02): Landscape documentation, "Upload tutorial" and "How to manage
repositories with the API". dput's http(s) method PUTs each file of a .changes, then the .changes,
to `/upload/<account>/<distribution>/<series>/<pocket>/<file>` (self-hosted account `standalone`).
A path naming no upload pocket answers 404. The upload service then checks the .changes as
reprepro's processincoming does and, as on the real server, only logs a refusal (the server's
`package-upload.log`, here `upload_log`): an unsigned upload to a pocket that requires
signatures, a signature by no uploader key of the pocket ("public key missing"), a Distribution
other than the pocket's suite (`<series>-<pocket>`, the bare series for `release`), a listed file
not uploaded or whose size / SHA-256 / MD5 differ, a .deb whose control (read with `dpkg-deb`, an
independent reader) disagrees with the .changes' Binary / Version / Architecture, or an
architecture the pocket does not carry. An accepted upload's package is listed by ListPocket under
`<component>/<architecture>` (an armed `eventual` fault hides it for a few listings).
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile

import pysequoia
from werkzeug.wrappers import Request, Response

from fleetsim.landscape_repo import Pocket


def _deb822(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last:
            fields[last] += "\n" + line.strip()
        elif ":" in line:
            last, _, value = line.partition(":")
            fields[last] = value.strip()
    return fields


def dpkg_fields(data: bytes) -> dict[str, str]:
    """The control fields of a .deb as dpkg-deb reads them ({} when it is no .deb)."""
    with tempfile.NamedTemporaryFile(suffix=".deb") as handle:
        handle.write(data)
        handle.flush()
        done = subprocess.run(  # noqa: S603
            ["dpkg-deb", "--field", handle.name],  # noqa: S607
            capture_output=True,
            check=False,
            timeout=30,
        )
    return _deb822(done.stdout.decode(errors="replace")) if done.returncode == 0 else {}


class UploadService:
    """Mixed into LandscapeSim (with RepositoryActions: distributions, gpg_keys, incoming, upload_log)."""

    def upload(
        self, request: Request, account: str, distribution: str, series: str, pocket: str, file: str
    ) -> Response:
        found = self.distributions.get(distribution, {}).get(series, {}).get(pocket)
        if account != self.account or found is None or found.mode != "upload" or "/" in file:
            return Response("No such upload pocket.\n", status=404, mimetype="text/plain")
        place = f"{distribution}/{series}/{pocket}"
        self.incoming[(place, file)] = request.get_data()
        if file.endswith(".changes"):
            self._process(request, found, place, file)
        return Response(status=201)

    def _refuse(self, changes: str, reason: str) -> None:
        self.upload_log.append(f"{changes}: {reason}")

    def _process(self, request: Request, pocket: Pocket, place: str, name: str) -> None:
        raw = self.incoming.pop((place, name))
        text = raw.decode(errors="replace")
        if text.startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
            certs = [self.gpg_keys[k]["cert"] for k in pocket.upload_gpg_keys if k in self.gpg_keys]
            try:
                text = pysequoia.verify(bytes=raw, store=lambda ids: certs).bytes.decode()
            except RuntimeError:
                self._refuse(name, f"Could not check validity of signature in '{name}' as public key missing!")
                return
        elif not pocket.upload_allow_unsigned:
            self._refuse(name, "Unsigned upload refused: the pocket requires a signature by an uploader key.")
            return
        fields = _deb822(text)
        if fields.get("Distribution") != pocket.suite:
            self._refuse(name, f"No distribution accepting '{name}' (Distribution {fields.get('Distribution')!r}).")
            return
        listed = self._listed(fields)
        if not listed:
            self._refuse(name, "No Files / Checksums-Sha256 entries.")
            return
        accepted: list[tuple[str, str, str, str]] = []
        for file, (size, sha256, md5, section) in listed.items():
            data = self.incoming.pop((place, file), None)
            if data is None:
                self._refuse(name, f"'{file}' is listed but was not uploaded.")
                return
            if len(data) != size or hashlib.sha256(data).hexdigest() != sha256 or hashlib.md5(data).hexdigest() != md5:  # noqa: S324
                self._refuse(name, f"'{file}' does not match the checksums and size in the .changes.")
                return
            control = dpkg_fields(data) if file.endswith(".deb") else {}
            if file.endswith(".deb") and not control:
                self._refuse(name, f"'{file}' is not a Debian binary package.")
                return
            if control:
                mismatch = self._mismatch(control, fields, pocket)
                if mismatch:
                    self._refuse(name, f"'{file}': {mismatch}")
                    return
                component = section.split("/")[0] if "/" in section else pocket.components[0]
                accepted.append((component, control["Architecture"], control["Package"], control["Version"]))
        for component, arch, package, version in accepted:
            arches = pocket.architectures if arch == "all" else [arch]
            for a in arches:
                pocket.packages.setdefault(f"{component}/{a}", {})[package] = version
            self.upload_log.append(f"{name}: {package} {version} accepted into {place}")
            self.mutation(request, "publish", f"{place}/{package}={version}")
        fault = self.faults.take("eventual", "PUT", f"/upload/{place}")
        if fault is not None:
            self.visibility.hide(f"pocket:{place}", fault.reads)
        self.changed()

    @staticmethod
    def _listed(fields: dict[str, str]) -> dict[str, tuple[int, str, str, str]]:
        sha = {}
        for line in fields.get("Checksums-Sha256", "").splitlines():
            parts = line.split()
            if len(parts) == 3:
                sha[parts[2]] = (int(parts[1]), parts[0])
        listed = {}
        for line in fields.get("Files", "").splitlines():
            parts = line.split()
            if len(parts) == 5 and parts[4] in sha and sha[parts[4]][0] == int(parts[1]):
                listed[parts[4]] = (int(parts[1]), sha[parts[4]][1], parts[0], parts[2])
        return listed

    @staticmethod
    def _mismatch(control: dict[str, str], fields: dict[str, str], pocket: Pocket) -> str:
        if control.get("Package") not in fields.get("Binary", "").split():
            return f"package {control.get('Package')!r} is not in Binary {fields.get('Binary')!r}"
        if control.get("Version") != fields.get("Version"):
            return f"version {control.get('Version')!r} is not the .changes' {fields.get('Version')!r}"
        arch = control.get("Architecture", "")
        if arch not in fields.get("Architecture", "").split():
            return f"architecture {arch!r} is not in the .changes' {fields.get('Architecture')!r}"
        if arch != "all" and arch not in pocket.architectures:
            return f"the pocket carries {', '.join(pocket.architectures)}, not {arch}"
        return ""
