"""Drift detection, remediation policy and stuck-deployment detection.

This domain arrives with its own issue; the package exists now so the layout and the import
contracts are in place from the start."""
