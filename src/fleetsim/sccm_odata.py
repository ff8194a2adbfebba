"""The AdminService's OData side, simulated: error bodies, property checks on create, `$filter`.

Property sets follow the SMS Provider server WMI class references (SMS_Application,
SMS_ApplicationAssignment): a create may set only writable properties; a read-only or unknown one
is refused with 400, as the provider refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from fleetsim.server import json_response

WMI = "/AdminService/wmi"
APP_WRITABLE = {"SDMPackageXML", "IsHidden"}
APP_READ_ONLY = {
    "CI_ID", "CI_UniqueID", "CIType_ID", "CIVersion", "CreatedBy", "DateCreated", "DateLastModified",
    "HasContent", "IsBundle", "IsDeployable", "IsDeployed", "IsDigest", "IsEnabled", "IsExpired", "IsLatest",
    "IsSuperseded", "IsSuperseding", "LastModifiedBy", "LocalizedDescription", "LocalizedDisplayName",
    "Manufacturer", "ModelID", "ModelName", "NumberOfDeployments", "NumberOfDeploymentTypes", "PackageID",
    "SoftwareVersion", "SourceSite",
}  # fmt: skip
APP_LAZY = ("SDMPackageXML", "PackageID")
ASSIGNMENT_WRITABLE = {
    "ApplicationName", "AssignmentName", "AssignmentDescription", "AssignedCIs", "CollectionName",
    "TargetCollectionID", "OfferTypeID", "DesiredConfigType", "OfferFlags", "NotifyUser", "UserUIExperience",
    "StartTime", "EnforcementDeadline", "Enabled", "SourceSite", "OverrideServiceWindows",
    "RebootOutsideOfServiceWindows", "SuppressReboot", "UseGMTTimes", "WoLEnabled", "Priority",
    "AssignmentAction", "LocaleID",
}  # fmt: skip
ASSIGNMENT_READ_ONLY = {"AssignmentID", "AssignmentUniqueID", "CreationTime", "LastModificationTime", "LastModifiedBy"}


def odata_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": {"code": str(status), "message": message}}, status, headers)


def refused_properties(body: Any, entity: str, writable: set[str], read_only: set[str]) -> Response | None:
    """400 for a body that is not an object, or sets a read-only or an unknown property."""
    if not isinstance(body, dict):
        return odata_error(400, f"The request body must be a JSON object of {entity} properties.")
    for name in body:
        if name in read_only:
            return odata_error(400, f"The property '{name}' of {entity} is read-only.")
        if name not in writable:
            return odata_error(
                400,
                f"The property '{name}' does not exist on type 'AdminService.{entity}'. "
                "Make sure to only use property names that are defined by the type.",
            )
    return None


def odata_filter(rows: list[dict[str, Any]], expression: str) -> list[dict[str, Any]] | None:
    """`A eq 'x'`, `A eq 12`, `A eq true`, `contains(A,'x')` (any case) joined by `and`; None when unsupported."""
    if not expression:
        return rows
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for clause in re.split(r"\s+and\s+", expression.strip()):
        if text := re.fullmatch(r"(\w+) eq '(.*)'", clause):
            want = text.group(2).replace("''", "'")
            tests.append(_test(text.group(1), want, lambda got, want: str(got) == want))
        elif number := re.fullmatch(r"(\w+) eq (-?\d+)", clause):
            tests.append(_test(number.group(1), int(number.group(2)), lambda got, want: got == want))
        elif flag := re.fullmatch(r"(\w+) eq (true|false)", clause):
            tests.append(_test(flag.group(1), flag.group(2) == "true", lambda got, want: got is want))
        elif contains := re.fullmatch(r"contains\((\w+),\s*'(.*)'\)", clause):
            # WQL LIKE under the site database's collation: any case
            want = contains.group(2).replace("''", "'").lower()
            tests.append(_test(contains.group(1), want, lambda got, want: want in str(got or "").lower()))
        else:
            return None
    return [r for r in rows if all(t(r) for t in tests)]


def _test(key: str, want: Any, compare: Callable[[Any, Any], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda row: compare(row.get(key), want)
