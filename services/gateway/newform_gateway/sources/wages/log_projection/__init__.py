"""wages' lines (statements accepted and judged, work sessions) projected straight from the event log by a
rebuild from the log — the same rows `projection.py` writes, folding the events in log order:

- a statement's row is its last line (by event time, seq, then place in the event), accepted or judged; its
  batch and first report time are those of its last acceptance, or (never accepted) no batch and the
  time of its first judgement — as the projection's accepted upsert (every column) and judged upsert
  (every column but the statement id, batch and report time: wages' repository) leave it;
- a work session's row is its last line.

Why SQL first, then the other types in Python, gives the same result: wage_statements and
wage_work_sessions are written only by these three types, and no projection reads them (the pages and
scorecards do) — so it runs alongside the Python stream. The totals (`wages.statements.totals.v1`), quotas
and related units stay in Python.
"""

from __future__ import annotations

from ....projections.base import LogProjection
from .repository import ACCEPTED, JUDGED, SESSIONS, project_sessions, project_statements

# Two projections (their tables are apart), so that a rebuild runs them on two connections at once.
LOG_PROJECTIONS = (
    LogProjection(
        tables=("wage_statements",), types=frozenset({ACCEPTED, JUDGED}), apply=project_statements, alongside=True
    ),
    LogProjection(tables=("wage_work_sessions",), types=frozenset({SESSIONS}), apply=project_sessions, alongside=True),
)
