"""Global search: one read across the catalog, intents, CAB requests, SBOM components and the ledger."""
