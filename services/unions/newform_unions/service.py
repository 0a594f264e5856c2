"""Use cases: rules + state change + outbox record, in the request's transaction (never commits).

Queries are the repository's (`repository.py`, the session first); clocks go through
`newform_common.deadlines` (`schedule`, `cancel`, ...), never through SQL of their own.
"""

from __future__ import annotations

from newform_common.deadlines import DeadlineHandler

#: Clocks this service runs (`kind` → handler), fired by the kit's deadline worker.
DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {}
