"""wages read models: wage_totals, the statements counted and summed per platform, month, district, occupation

Revision ID: gw_wages_0002
Revises: gw_wages_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw_wages_0002"
down_revision: str | Sequence[str] | None = "gw_wages_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    "statements",
    "judged",
    "pending",
    "minimum_wage_met",
    "below_minimum",
    "paid_on_time",
    "unpaid",
    "late",
    "with_breaches",
    "compliant",
    "gross_fen",
    "net_due_fen",
    "paid_fen",
    "worked_minutes",
)

# The statements projected before wages published its totals, summed as wages' totals.py sums a line.
BACKFILL = """
insert into wage_totals
select platform_id, to_char(period_end, 'YYYY-MM'), coalesce(district, ''), coalesce(occupation, ''),
  count(*), count(*) filter (where status = 'judged'), count(*) filter (where status <> 'judged'),
  count(*) filter (where minimum_wage_met), count(*) filter (where not minimum_wage_met),
  count(*) filter (where status = 'judged' and paid_fen >= net_due_fen and paid_on <= due_date),
  count(*) filter (where status = 'judged' and paid_fen < net_due_fen),
  count(*) filter (where status = 'judged' and paid_on > due_date),
  count(*) filter (where jsonb_array_length(rules_broken) > 0),
  count(*) filter (where status = 'judged' and paid_fen >= net_due_fen and paid_on <= due_date
    and minimum_wage_met and jsonb_array_length(rules_broken) = 0),
  sum(gross_fen), sum(net_due_fen), sum(paid_fen), sum(worked_minutes)
from wage_statements group by 1, 2, 3, 4
"""


def upgrade() -> None:
    op.create_table(
        "wage_totals",
        sa.Column("platform_id", sa.String(100), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("district", sa.String(40), primary_key=True),
        sa.Column("occupation", sa.String(40), primary_key=True),
        *(sa.Column(c, sa.BigInteger, nullable=False) for c in COUNTERS),
    )
    # a rebuild from a log older than wages' totals events leaves these out (`newform gateway rebuild`)
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("wage_totals")
