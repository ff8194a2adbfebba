"""Evidence packs: ingest SBOM, scans, signatures, provenance and tests; completeness; seal; verify.

This domain arrives with its own issue; the package exists now so the layout and the import
contracts are in place from the start."""
