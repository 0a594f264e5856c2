"""Complaints (M10, M20): filed by a worker, answered by the platform, accepted or escalated."""
