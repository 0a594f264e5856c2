"""The departments slice: departments' events in the gateway — tables, projection, queries, API routes and page."""
