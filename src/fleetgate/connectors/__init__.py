"""Execution-plane connectors (Intune, Jamf, SCCM, Landscape, Ansible) and the idempotency store.

This domain arrives with its own issue; the package exists now so the layout and the import
contracts are in place from the start."""
