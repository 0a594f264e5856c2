"""The escalated complaints' alerts (`GET /v1/disputes/escalations`, the enforcement clues) through a partial
index in page order: the list walked every alert newest first to find the few of rule
`*.complaint_escalated` (at 200,000 alerts and none escalated, 175 ms p50; with the index, a few ms).

Revision ID: gw_disputes_0002
Revises: gw_disputes_0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "gw_disputes_0002"
down_revision: str | Sequence[str] | None = "gw_disputes_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The predicate `repository.escalated_alerts` writes inline (the planner matches a partial index only
#: against the same constant, never a bound parameter).
ESCALATED = "rule like '%.complaint_escalated'"


def upgrade() -> None:
    op.execute(f"create index ix_alerts_escalated_raised on alerts (raised_at, alert_id) where {ESCALATED}")


def downgrade() -> None:
    op.execute("drop index ix_alerts_escalated_raised")
