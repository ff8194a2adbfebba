"""Install facts, rollback plan and test evidence: JSON documents validated for shape (pydantic).

Their truth rests on their author, so they are *recorded*; completeness then checks what they
claim (rollback validated with Lab evidence, at least one successful Lab install).

Detection rules (`install_facts.detection_rules`, what a plane checks to know the package is
installed) are of five kinds, told apart by `type`: `product_code` (an MSI), `file`, `registry`,
`script` (PowerShell, shell or zsh) and `macos_bundle` (an app bundle a macOS package installs:
CFBundleIdentifier and CFBundleShortVersionString; Intune needs one to publish a .pkg)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from fleetgate.evidence.documents import Kind, Parsed, Status, from_pydantic, load_json


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileRule(_Strict):
    type: Literal["file"]
    path: str = Field(min_length=1)
    version_at_least: str = ""


class RegistryRule(_Strict):
    type: Literal["registry"]
    key: str = Field(min_length=1)
    value_name: str = ""
    expected: str = ""


class ProductCodeRule(_Strict):
    type: Literal["product_code"]
    product_code: str = Field(pattern=r"^\{[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}\}$")
    version_at_least: str = ""


class ScriptRule(_Strict):
    type: Literal["script"]
    language: Literal["powershell", "shell", "zsh"]
    script: str = Field(min_length=1)


BUNDLE_ID = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MACOS_RELEASE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.\d+)?$")


class MacOSBundleRule(_Strict):
    """A macOS app bundle the package installs, as its Info.plist names it: `bundle_id` is its
    CFBundleIdentifier (reverse-DNS: letters, digits and hyphens in two or more dot-separated
    parts), `bundle_version` its CFBundleShortVersionString, `minimum_macos` (optional) its
    LSMinimumSystemVersion. Intune detects a macOS .pkg by these (macOSPkgApp includedApps); the
    first bundle rule is the package's primary app."""

    type: Literal["macos_bundle"]
    bundle_id: str
    bundle_version: str
    minimum_macos: str = ""

    @field_validator("bundle_id")
    @classmethod
    def _bundle_id(cls, value: str) -> str:
        if not BUNDLE_ID.fullmatch(value) or len(value) > 255:
            raise ValueError(
                f"bundle_id '{value}' is not a reverse-DNS bundle identifier (CFBundleIdentifier, e.g. "
                "com.vendor.app: letters, digits and hyphens in two or more parts separated by dots)"
            )
        return value

    @field_validator("bundle_version")
    @classmethod
    def _bundle_version(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("bundle_version is empty: give the bundle's CFBundleShortVersionString (e.g. 1.2.3)")
        if value != value.strip() or any(c.isspace() for c in value):
            raise ValueError(f"bundle_version '{value}' holds whitespace: give CFBundleShortVersionString as is")
        return value

    @field_validator("minimum_macos")
    @classmethod
    def _minimum_macos(cls, value: str) -> str:
        match = MACOS_RELEASE.fullmatch(value)
        if value and (match is None or not _is_macos_release(int(match.group(1)), int(match.group(2) or 0))):
            raise ValueError(
                f"minimum_macos '{value}' is not a macOS release (10.7 to 10.15, 11 to 15, or 26 and later)"
            )
        return value


def _is_macos_release(major: int, minor: int) -> bool:
    return (major == 10 and 7 <= minor <= 15) or 11 <= major <= 15 or major >= 26


MAX_BUNDLES = 500  # Intune's macOSPkgApp.includedApps holds at most 500
DetectionRule = Annotated[
    FileRule | RegistryRule | ProductCodeRule | ScriptRule | MacOSBundleRule, Field(discriminator="type")
]
ExitMeaning = Literal["success", "success_reboot", "failure", "retry"]


class InstallFacts(_Strict):
    install_command: str = Field(min_length=1)
    uninstall_command: str = Field(min_length=1)
    detection_rules: list[DetectionRule] = Field(min_length=1)
    exit_codes: dict[str, ExitMeaning] = Field(min_length=1)
    reboot: Literal["none", "may_reboot", "required", "forced"]
    install_time_seconds: int = Field(ge=1, le=24 * 3600)

    @field_validator("exit_codes")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        for code in value:
            if not code.lstrip("-").isdigit():
                raise ValueError(f"exit code '{code}' is not a whole number")
        if "success" not in value.values():
            raise ValueError("name at least one success exit code (usually 0)")
        return value

    @field_validator("detection_rules")
    @classmethod
    def _bundles(cls, value: list[Any]) -> list[Any]:
        bundles = [r.bundle_id for r in value if isinstance(r, MacOSBundleRule)]
        twice = sorted({b for b in bundles if bundles.count(b) > 1})
        if twice:
            raise ValueError(f"macos_bundle '{twice[0]}' is named more than once; give each app bundle once")
        if len(bundles) > MAX_BUNDLES:
            raise ValueError(f"{len(bundles)} macos_bundle rules; a package lists at most {MAX_BUNDLES} app bundles")
        return value


class LabRun(_Strict):
    scenario: str = Field(min_length=1)
    result: Literal["passed", "failed"]
    run_at: str = ""


class RollbackPlan(_Strict):
    rollback_version: str = Field(min_length=1)
    strategies: dict[str, Literal["reinstall_previous", "uninstall", "supersede"]] = Field(min_length=1)
    validated: bool
    lab_evidence: list[LabRun] = Field(default_factory=list)

    @model_validator(mode="after")
    def _validated_needs_evidence(self) -> RollbackPlan:
        if self.validated and not any(run.result == "passed" for run in self.lab_evidence):
            raise ValueError("a validated rollback plan cites at least one passed Lab run in lab_evidence")
        return self


class Scenario(_Strict):
    name: str = Field(min_length=1)
    result: Literal["passed", "failed"]
    notes: str = ""


class RingResults(_Strict):
    attempted: int = Field(ge=0)
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)

    @model_validator(mode="after")
    def _adds_up(self) -> RingResults:
        if self.succeeded + self.failed > self.attempted:
            raise ValueError("succeeded + failed exceeds attempted")
        return self


class TestEvidence(_Strict):
    lab_scenarios: list[Scenario] = Field(min_length=1)
    ring0_results: RingResults


MODELS: dict[Kind, tuple[type[BaseModel], str]] = {
    Kind.INSTALL_FACTS: (InstallFacts, "install facts"),
    Kind.ROLLBACK_PLAN: (RollbackPlan, "rollback plan"),
    Kind.TEST_EVIDENCE: (TestEvidence, "test evidence"),
}


def parse(kind: Kind, raw: bytes, filename: str) -> Parsed:
    model, what = MODELS[kind]
    data: Any = load_json(raw, filename, what)
    try:
        value = model.model_validate(data)
    except PydanticError as exc:
        raise from_pydantic(exc, filename, what) from None
    return Parsed(kind=kind, format=f"fleetgate.{kind}/v1", status=Status.RECORDED, summary=value.model_dump())
