"""Every write of the approvals domain, split by sub-resource; import from here."""

from fleetgate.approvals.services.breakglass import confirm as confirm_breakglass
from fleetgate.approvals.services.breakglass import request as request_breakglass
from fleetgate.approvals.services.breakglass import review as review_breakglass
from fleetgate.approvals.services.cab import decide, on_pack_sealed, revoke
from fleetgate.approvals.services.comments import add_comment
from fleetgate.approvals.services.exceptions import (
    approve_exception,
    extend_exception,
    lapse_and_remind,
    reject_exception,
    request_exception,
)
from fleetgate.approvals.services.submission import create_submission, submit

__all__ = [
    "add_comment",
    "approve_exception",
    "confirm_breakglass",
    "create_submission",
    "decide",
    "extend_exception",
    "lapse_and_remind",
    "on_pack_sealed",
    "reject_exception",
    "request_breakglass",
    "request_exception",
    "review_breakglass",
    "revoke",
    "submit",
]
