"""The clocks every service recomputed when a holiday schedule was loaded (`/v1/calendar/recomputed`),
found through a partial index instead of every month of the event log: at 50 million facts the list read
each partition's rows to find the few `*.deadline.recomputed.v1` (≈1 s; with the index, a few ms).

Revision ID: 0008_recomputed_clocks_index
Revises: 0006_event_log_by_month
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_recomputed_clocks_index"
down_revision: str | Sequence[str] | None = "0006_event_log_by_month"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The predicate `repository.events_of_type_suffix` writes inline (the planner matches a partial index
#: only against the same constant, never a bound parameter).
RECOMPUTED = "type like '%.deadline.recomputed.v1'"


def upgrade() -> None:
    op.execute(f"create index ix_event_log_recomputed on event_log (seq) where {RECOMPUTED}")


def downgrade() -> None:
    op.execute("drop index ix_event_log_recomputed")
