"""Reconciliation services: `compare` (read-only: desired vs observed), `passes` (record, heal,
remediate), `decisions` (people's decisions on remediation items), `jobs` (the pass as a job)."""
