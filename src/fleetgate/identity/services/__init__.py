"""Every write of the identity domain, split by sub-resource; import from here."""

from fleetgate.identity.services.account import change_password, set_time_zone, time_zones
from fleetgate.identity.services.grants import approve_grant, reject_grant, request_grant
from fleetgate.identity.services.signin import WrongCredentials, sign_in, unlock
from fleetgate.identity.services.tokens import MAX_TOKEN_DAYS, create_token, revoke_token
from fleetgate.identity.services.users import create_user, set_active, set_roles

__all__ = [
    "MAX_TOKEN_DAYS",
    "WrongCredentials",
    "approve_grant",
    "change_password",
    "create_token",
    "create_user",
    "reject_grant",
    "request_grant",
    "revoke_token",
    "set_active",
    "set_roles",
    "set_time_zone",
    "sign_in",
    "time_zones",
    "unlock",
]
