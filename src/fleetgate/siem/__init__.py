"""The ledger streamed to SIEMs: a durable outbox per destination.

Each destination keeps the last ledger sequence it acknowledged; the worker sends the events after it in
order, in batches, and moves the mark only after a batch was accepted. Nothing is skipped and nothing is
dropped: a failed batch is sent again (at-least-once), so a receiver deduplicates by the ledger sequence,
which every payload carries (RFC 5424 structured data, CEF `externalId` / `cn1`, JSON `sequence`).
"""
