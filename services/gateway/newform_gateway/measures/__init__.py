"""Which measures (M1–M20) the system implements, where, and where it points for the others: one data file
(`coverage.toml`), shown by the gateway at `/measures` and `GET /v1/measures`, written to docs/measures.md."""
