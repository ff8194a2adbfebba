"""Every write of the rollouts domain, split by sub-resource: the engine (start, advance), the
ring steps it takes on the planes, rollback, manual actions, incidents and calendars."""
