"""The contracts slice: contracts' events in the gateway — tables, projection, queries, API routes and page."""
