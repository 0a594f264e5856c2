"""The unions slice: unions's events in the gateway — table, projection, queries, API route and page."""
