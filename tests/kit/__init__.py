"""The shared test kit: what more than one test folder needs. Test folders import each other never,
only this package (`from ..kit.feed import EventFeed`).

- `feed`: the one typed event feed (services' own event models, keys from their declarations);
- `gateway`, `stack`: a gateway under test, real services' settings on one test's prefixed topics;
- `contracts`, `wages`, `training`: each world's builders;
- `loopback`, `browser`: a real HTTP server in the test's loop, the headless browser;
- `openapi_examples`: checking a document's examples against its schemas.
"""
