"""Platforms: each platform's numbers from every source and its scorecard (API and page)."""
