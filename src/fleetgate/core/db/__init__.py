"""Fleetgate's database backends: Django's own, with work that must run just before a commit (precommit)."""
