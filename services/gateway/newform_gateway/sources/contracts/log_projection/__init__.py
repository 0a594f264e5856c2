"""contracts' registrations and contracts (drafted, then moved) projected straight from the event log by a
rebuild from the log — the rows `projection.py` writes, folding the events in order:

- a registration's row is its last registration event's, active;
- a contract's row is its last draft (status draft, its time the draft's), then the status and time of
  the last transition after that draft and the document of the last signature after it; a contract
  whose draft never came is made by its first transition (`projection._moved`).

Why SQL first, then the other types in Python, gives the same result: `contracts` is written only by
these types; `worker_registrations` also by the restrictions and lifts (Python, after), which decide
`active` again from the stored restrictions alone (`repository.refresh_registrations`), whatever the order —
the value the live fold ends with. No projection reads either table (the pages and scorecards do).
"""

from __future__ import annotations

from ....projections.base import LogProjection
from .repository import DRAFTED, MOVES, REGISTERED, project_registrations_and_contracts

LOG_PROJECTIONS = (
    LogProjection(
        tables=("worker_registrations", "contracts"),
        types=frozenset({REGISTERED, DRAFTED, *MOVES}),
        apply=project_registrations_and_contracts,
    ),
)
