"""The unions service."""
