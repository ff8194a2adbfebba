"""Turn model state into plain JSON values for ledger before/after and hashing."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def to_json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
