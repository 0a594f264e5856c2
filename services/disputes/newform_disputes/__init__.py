"""The disputes service."""
