"""What Microsoft Graph v1.0 accepts in the Intune bodies the simulator takes, and its refusals.

Each type lists its writable properties with a check; `READ_ONLY` ones are refused on create, any
other name is refused as OData does ("The property 'x' does not exist on type 'y'"), abstract
types (mobileApp, win32LobAppRule, deviceAndAppManagementAssignmentTarget,
mobileAppAssignmentSettings) need `@odata.type`, and beta-only properties or types on v1.0 are
refused as unknown. Property sets follow the v1.0 metadata (checked 2026-12-02 against the
msgraph-sdk 1.65.0 models, which are generated from it). On /beta (`beta=True`) macOSPkgApp and
its complex types (macOSIncludedApp, macOSMinimumOperatingSystem, macOSAppScript) are known too, as
the msgraph-beta-sdk 1.66.0 models have them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Response

from fleetsim.fleet import Fleet
from fleetsim.server import json_response

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # simulated time 0 as the plane's wall clock


def wall(fleet: Fleet, seconds: float | None = None) -> str:
    """A simulated time as the plane's wall clock (ISO 8601, UTC)."""
    at = EPOCH + timedelta(seconds=fleet.now() if seconds is None else seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


Check = Callable[[Any], bool]


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    inner = {"date": now, "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}
    return json_response({"error": {"code": code, "message": message, "innerError": inner}}, status, headers)


class Refused(Exception):
    def __init__(self, message: str, code: str = "BadRequest") -> None:
        super().__init__(message)
        self.message, self.code = message, code

    def response(self) -> Response:
        return graph_error(400, self.code, self.message)


def text(v: Any) -> bool:
    return v is None or isinstance(v, str)


def whole(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def flag(v: Any) -> bool:
    return v is None or isinstance(v, bool)


def enum(*values: str, flags: bool = False) -> Check:
    def check(v: Any) -> bool:
        if v is None:
            return True
        if not isinstance(v, str):
            return False
        parts = [p.strip() for p in v.split(",")] if flags else [v]
        return all(p in values for p in parts)

    return check


OPERATOR = enum(
    "notConfigured", "equal", "notEqual", "greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"
)
RULE_BASE = {"ruleType": enum("detection", "requirement")}
MOBILE_APP = {
    "displayName": text,
    "description": text,
    "publisher": text,
    "largeIcon": lambda v: v is None or isinstance(v, dict),
    "isFeatured": flag,
    "privacyInformationUrl": text,
    "informationUrl": text,
    "owner": text,
    "developer": text,
    "notes": text,
}
APP_READ_ONLY = ("id", "createdDateTime", "lastModifiedDateTime", "publishingState", "size")
FILE_READ_ONLY = (
    "id",
    "azureStorageUri",
    "azureStorageUriExpirationDateTime",
    "createdDateTime",
    "isCommitted",
    "uploadState",
)
READ_ONLY = {"win32LobApp": APP_READ_ONLY, "mobileAppContentFile": FILE_READ_ONLY}
# type -> (writable properties, abstract parent's name for messages, nested complex properties)
TYPES: dict[str, dict[str, Any]] = {
    "win32LobApp": {
        **MOBILE_APP,
        "committedContentVersion": text,
        "fileName": text,
        "allowedArchitectures": enum("none", "x86", "x64", "arm", "neutral", "arm64", flags=True),
        "applicableArchitectures": enum("none", "x86", "x64", "arm", "neutral", "arm64", flags=True),
        "installCommandLine": text,
        "uninstallCommandLine": text,
        "setupFilePath": text,
        "minimumSupportedWindowsRelease": text,
        "minimumCpuSpeedInMHz": whole,
        "minimumFreeDiskSpaceInMB": whole,
        "minimumMemoryInMB": whole,
        "minimumNumberOfProcessors": whole,
        "installExperience": "win32LobAppInstallExperience",
        "returnCodes": ["win32LobAppReturnCode"],
        "rules": ["win32LobAppRule"],
        "msiInformation": "win32LobAppMsiInformation",
    },
    "win32LobAppInstallExperience": {
        "runAsAccount": enum("system", "user"),
        "deviceRestartBehavior": enum("basedOnReturnCode", "allow", "suppress", "force"),
        "maxRunTimeInMinutes": whole,
    },
    "win32LobAppReturnCode": {
        "returnCode": whole,
        "type": enum("failed", "success", "softReboot", "hardReboot", "retry"),
    },
    "win32LobAppMsiInformation": {
        "productCode": text,
        "productVersion": text,
        "upgradeCode": text,
        "requiresReboot": flag,
        "packageType": enum("perMachine", "perUser", "dualPurpose"),
        "productName": text,
        "publisher": text,
    },
    "win32LobAppFileSystemRule": {
        **RULE_BASE,
        "path": text,
        "fileOrFolderName": text,
        "check32BitOn64System": flag,
        "operationType": enum(
            "notConfigured", "exists", "modifiedDate", "createdDate", "version", "sizeInMB", "doesNotExist"
        ),
        "operator": OPERATOR,
        "comparisonValue": text,
    },
    "win32LobAppProductCodeRule": {
        **RULE_BASE,
        "productCode": text,
        "productVersionOperator": OPERATOR,
        "productVersion": text,
    },
    "win32LobAppRegistryRule": {
        **RULE_BASE,
        "check32BitOn64System": flag,
        "keyPath": text,
        "valueName": text,
        "operationType": enum("notConfigured", "exists", "doesNotExist", "string", "integer", "version"),
        "operator": OPERATOR,
        "comparisonValue": text,
    },
    "win32LobAppPowerShellScriptRule": {
        **RULE_BASE,
        "displayName": text,
        "enforceSignatureCheck": flag,
        "runAs32Bit": flag,
        "runAsAccount": enum("system", "user"),
        "scriptContent": text,
        "operationType": enum("notConfigured", "string", "dateTime", "integer", "float", "version", "boolean"),
        "operator": OPERATOR,
        "comparisonValue": text,
    },
    "mobileAppAssignment": {
        "intent": enum("available", "required", "uninstall", "availableWithoutEnrollment"),
        "target": "deviceAndAppManagementAssignmentTarget",
        "settings": "mobileAppAssignmentSettings",
    },
    "groupAssignmentTarget": {
        "groupId": text,
        "deviceAndAppManagementAssignmentFilterId": text,
        "deviceAndAppManagementAssignmentFilterType": enum("none", "include", "exclude"),
    },
    "win32LobAppAssignmentSettings": {
        "notifications": enum("showAll", "showReboot", "hideAll"),
        "restartSettings": "win32LobAppRestartSettings",
        "installTimeSettings": "mobileAppInstallTimeSettings",
        "deliveryOptimizationPriority": enum("notConfigured", "foreground"),
        "autoUpdateSettings": "win32LobAppAutoUpdateSettings",
    },
    "win32LobAppRestartSettings": {
        "gracePeriodInMinutes": whole,
        "countdownDisplayBeforeRestartInMinutes": whole,
        "restartNotificationSnoozeDurationInMinutes": whole,
    },
    "mobileAppInstallTimeSettings": {"useLocalTime": flag, "startDateTime": text, "deadlineDateTime": text},
    "win32LobAppAutoUpdateSettings": {"autoUpdateSupersededAppsState": enum("notConfigured", "enabled")},
    "mobileAppContentFile": {
        "name": text,
        "size": whole,
        "sizeEncrypted": whole,
        "manifest": text,
        "isDependency": flag,
    },
    "fileEncryptionInfo": {
        k: text
        for k in (
            "encryptionKey",
            "initializationVector",
            "mac",
            "macKey",
            "profileIdentifier",
            "fileDigest",
            "fileDigestAlgorithm",
        )
    },
}
TYPES["exclusionGroupAssignmentTarget"] = TYPES["groupAssignmentTarget"]
for _t in ("allDevicesAssignmentTarget", "allLicensedUsersAssignmentTarget"):
    TYPES[_t] = {k: v for k, v in TYPES["groupAssignmentTarget"].items() if k != "groupId"}
# abstract type -> its concrete types the simulator knows
ABSTRACT = {
    "mobileApp": ("win32LobApp",),
    "win32LobAppRule": (
        "win32LobAppFileSystemRule",
        "win32LobAppProductCodeRule",
        "win32LobAppRegistryRule",
        "win32LobAppPowerShellScriptRule",
    ),
    "deviceAndAppManagementAssignmentTarget": (
        "groupAssignmentTarget",
        "exclusionGroupAssignmentTarget",
        "allDevicesAssignmentTarget",
        "allLicensedUsersAssignmentTarget",
    ),
    "mobileAppAssignmentSettings": ("win32LobAppAssignmentSettings",),
}
BETA_ONLY_TYPES = ("macOSPkgApp", "windowsMobileMSI")
# Graph beta: the v1.0 types above plus macOSPkgApp and its complex types (the beta metadata as
# generated into msgraph-beta-sdk 1.66.0, checked 2026-12-02). Beta's extra properties of the v1.0
# types (win32LobApp.displayVersion, ...) are not modelled: the simulator creates no other app in beta.
MACOS_RELEASES = (
    *(f"v10_{minor}" for minor in range(7, 16)),
    *(f"v{major}_0" for major in range(11, 16)),
    "v26_0",
    "v27_0",
)
BETA_TYPES: dict[str, dict[str, Any]] = {
    "macOSPkgApp": {
        **MOBILE_APP,
        "roleScopeTagIds": lambda v: v is None or (isinstance(v, list) and all(isinstance(i, str) for i in v)),
        "committedContentVersion": text,
        "fileName": text,
        "primaryBundleId": text,
        "primaryBundleVersion": text,
        "includedApps": ["macOSIncludedApp"],
        "ignoreVersionDetection": flag,
        "minimumSupportedOperatingSystem": "macOSMinimumOperatingSystem",
        "preInstallScript": "macOSAppScript",
        "postInstallScript": "macOSAppScript",
    },
    "macOSIncludedApp": {"bundleId": text, "bundleVersion": text},
    "macOSMinimumOperatingSystem": dict.fromkeys(MACOS_RELEASES, flag),
    "macOSAppScript": {"scriptContent": text},
}
READ_ONLY["macOSPkgApp"] = APP_READ_ONLY
BETA_ABSTRACT = {**ABSTRACT, "mobileApp": (*ABSTRACT["mobileApp"], "macOSPkgApp")}


def _types(beta: bool) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, ...]]]:
    return ({**TYPES, **BETA_TYPES}, BETA_ABSTRACT) if beta else (TYPES, ABSTRACT)


def type_of(body: Mapping[str, Any], declared: str, *, beta: bool = False) -> str:
    """The concrete type of `body` where `declared` is the property's type (abstract or not)."""
    raw = body.get("@odata.type")
    name = str(raw).removeprefix("#").removeprefix("microsoft.graph.") if raw else ""
    abstract = _types(beta)[1]
    if declared in abstract:
        if not name:
            raise Refused(f"Cannot create an abstract class. The type 'microsoft.graph.{declared}' is abstract.")
        if name not in abstract[declared]:
            raise Refused(
                f"A type named 'microsoft.graph.{name}' could not be resolved by the model. When a model is "
                "available, each type name must resolve to a valid type."
            )
        return name
    if name and name != declared:
        raise Refused(f"The type 'microsoft.graph.{name}' is not compatible with 'microsoft.graph.{declared}'.")
    return declared


def validate(body: Any, declared: str, *, creating: bool = False, beta: bool = False) -> str:
    """Check `body` against `declared` (recursively) in v1.0, or in beta; return its concrete type
    name or raise Refused."""
    if not isinstance(body, dict):
        raise Refused(f"Cannot convert the literal to the expected type 'microsoft.graph.{declared}'.")
    name = type_of(body, declared, beta=beta)
    props = _types(beta)[0][name]
    for key, value in body.items():
        if key.startswith("@odata."):
            continue
        if creating and key in READ_ONLY.get(name, ()):
            raise Refused(f"The property '{key}' is read-only and cannot be set on 'microsoft.graph.{name}'.")
        check = props.get(key)
        if check is None:
            raise Refused(
                f"The property '{key}' does not exist on type 'microsoft.graph.{name}'. Make sure to only use "
                "property names that are defined by the type or mark the type as open type."
            )
        if isinstance(check, list):
            if not isinstance(value, list):
                raise Refused(f"The property '{key}' of 'microsoft.graph.{name}' must be a collection.")
            for item in value:
                validate(item, check[0], beta=beta)
        elif isinstance(check, str):
            if value is not None:
                validate(value, check, beta=beta)
        elif not check(value):
            raise Refused(
                f"Cannot convert the literal '{value}' to the expected type of property '{key}' "
                f"on 'microsoft.graph.{name}'."
            )
    return name


def public(record: Mapping[str, Any], name: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """A record as Graph answers it: only the type's properties, never the simulator's own fields."""
    keep = set({**TYPES, **BETA_TYPES}[name]) | set(READ_ONLY.get(name, ())) | set(extra)
    return {k: v for k, v in record.items() if k == "@odata.type" or k in keep}
