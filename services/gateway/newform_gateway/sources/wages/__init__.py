"""The wages slice: wages' events in the gateway — tables, projection, queries, API routes and page."""
