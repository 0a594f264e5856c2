"""Engagements: our copy of the contracts and agreements contracts publishes (contracts.events)."""
