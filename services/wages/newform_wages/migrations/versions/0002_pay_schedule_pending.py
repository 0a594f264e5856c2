"""wages: the agreed pay day and hours arrangement of an engagement; premium days pending the schedule

Revision ID: wages_0002
Revises: wages_0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "wages_0002"
down_revision: str | None = "wages_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # contracts' terms.pay_schedule (the agreed pay day, as data) and hours_arrangement
    op.execute("alter table engagements add column pay_schedule jsonb, add column hours_arrangement varchar(16)")
    # premium days whose premium waits for the year's State Council schedule (calendar.day(d).provisional)
    op.execute("alter table statements add column pending_schedule jsonb not null default '[]'")
    op.execute("create index ix_statements_pending_schedule on statements (id) where pending_schedule <> '[]'")
    # one debt, one case: an engagement's arrears are looked up before another is raised
    op.execute(
        "create index ix_findings_arrears_contract on findings ((evidence ->> 'contract_id')) "
        "where rule = 'M6.wage_arrears'"
    )


def downgrade() -> None:
    op.execute("drop index ix_findings_arrears_contract")
    op.execute("drop index ix_statements_pending_schedule")
    op.execute("alter table statements drop column pending_schedule")
    op.execute("alter table engagements drop column pay_schedule, drop column hours_arrangement")
