"""The source events of a credit record's evidence chain found through an index (issue 25): a confirming
decision on an alert of a credit rule lists "the logged events whose data names the subject"
(`credit/repository.source_events`, `data ->> '<subject type>_id'`), which read every event of the log — at
50 million facts (3.3 million events, 1.9 GB of JSON) 5–40 s for a department's one click, and a rebuild
replays every such decision.

One partial expression index per reference field that the credit rules' subjects use (`FIELDS`: M3's
contracts, M6 arrears' statements and engagement periods and months), in the chain's order; a field without
an index still works, by reading the log.

Revision ID: 0009_event_log_subject_refs
Revises: 0006_event_log_by_month
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_event_log_subject_refs"
down_revision: str | Sequence[str] | None = "0006_event_log_by_month"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The `<subject type>_id` fields of the credit rules' subjects (credit_rules.toml: M3 findings are about a
#: contract; M6 arrears about a statement, an engagement's period or month).
FIELDS = ("contract_id", "statement_id", "engagement_period_id", "engagement_month_id")


def upgrade() -> None:
    for field in FIELDS:
        op.execute(
            f"create index ix_event_log_ref_{field} on event_log ((data ->> '{field}'), time, seq) "
            f"where data ? '{field}'"
        )


def downgrade() -> None:
    for field in FIELDS:
        op.execute(f"drop index ix_event_log_ref_{field}")
