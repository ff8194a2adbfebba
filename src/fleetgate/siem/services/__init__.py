"""Every write of the SIEM domain: destinations (configuration) and their outbox (streaming)."""

from fleetgate.siem.services.destinations import create, delete, send_test, set_enabled, update
from fleetgate.siem.services.streaming import STREAMER, Outcome, stream, stream_all

__all__ = ["STREAMER", "Outcome", "create", "delete", "send_test", "set_enabled", "stream", "stream_all", "update"]
