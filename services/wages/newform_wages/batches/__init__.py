"""Batch uploads: one row per upload of statements or sessions, its counts and each bad line's error."""
