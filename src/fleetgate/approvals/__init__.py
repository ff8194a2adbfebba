"""CAB requests, decisions, quorum, conditions, exceptions and break-glass.

Submitting an intent runs through `services.submit`: it needs a sealed evidence pack and a risk
assessment, and either opens a CAB request (risk > 50 or privileged tooling) or records
`cab_not_required`. Separation of duties is enforced in the services for every caller; refused
attempts are ledger events too. `queries.promotion_allowed` is what the rollout engine asks
before it moves an intent into a ring."""
