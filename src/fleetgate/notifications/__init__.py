"""Outbound notifications: a record per event, webhook deliveries (HMAC-SHA256 signed JSON, retried
with backoff, every attempt logged) and optional email through Django's mail backend.

Domains call `services.notify(...)` inside their transaction; delivery is enqueued on commit, so a
rolled-back change never notifies anybody."""
