"""Execution-plane connectors (Intune, Jamf, SCCM, Landscape, Ansible) and the idempotency store.

`base` is the one protocol and HTTP framework (typed errors, one tenacity retry layer, circuit
breaker, dry run); each plane is a module of its own; `models`/`services`/`queries`/`api` hold the
configured instances and the durable idempotency store. Plane modules take and return plain
dataclasses and never touch the database (import-linter enforces it)."""
