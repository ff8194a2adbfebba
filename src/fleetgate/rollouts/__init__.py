"""The ring engine: publish, assign, observe, gates, soak, windows, halt, rollback.

This domain arrives with its own issue; the package exists now so the layout and the import
contracts are in place from the start."""
