"""Every write of single sign-on, split by sub-resource; import from here."""

from fleetgate.sso.services.mappings import create_mapping, delete_mapping, update_mapping
from fleetgate.sso.services.signin import SSO, reevaluate, sign_in

__all__ = ["SSO", "create_mapping", "delete_mapping", "reevaluate", "sign_in", "update_mapping"]
