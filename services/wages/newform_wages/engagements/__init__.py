"""Engagements: wages' local copy of contracts' engagements, fed by `contracts.events`."""
