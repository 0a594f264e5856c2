"""The training slice: training' events in the gateway — tables, projection, queries, API routes and page."""
