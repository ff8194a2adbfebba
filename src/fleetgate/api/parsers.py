"""JSON parsing with the body size limit enforced (DRF reads the stream, bypassing Django's check)."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from fleetgate.core.errors import PayloadTooLarge


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is not None and limit is not None:
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                raise PayloadTooLarge(
                    f"The request body is over {limit} bytes; send less, or raise FLEETGATE_MAX_BODY_BYTES."
                )
            stream = io.BytesIO(raw)
        return super().parse(stream, media_type, parser_context)
