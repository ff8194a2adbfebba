"""Site classes, distribution strategy and air-gap bundles.

This domain arrives with its own issue; the package exists now so the layout and the import
contracts are in place from the start."""
