"""Read-only AI assistance: explanations and drafts. Never imports a write service.

This domain arrives with its own issue; the package exists now so the layout and the import
contracts are in place from the start."""
