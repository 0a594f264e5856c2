"""The wages service."""
