"""The disputes slice: disputes' events in the gateway — tables, projection, queries, API routes and page."""
