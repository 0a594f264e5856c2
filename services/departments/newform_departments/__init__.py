"""The departments service."""
