"""The alerts of one rule about given subjects, resolved ones too (issue 25): the weather page reads the
`M8.weather_no_response` alerts of its warnings (subject: the warning) — without this index a Seq Scan of
every alert for each request; the dedupe index `uq_alerts_open_rule_subject` covers unresolved alerts only.

Revision ID: 0005_alerts_by_rule_subject
Revises: 0005_department_counters
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_alerts_by_rule_subject"
down_revision: str | None = "0005_department_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alerts_rule_subject", "alerts", ["rule", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_rule_subject", "alerts")
