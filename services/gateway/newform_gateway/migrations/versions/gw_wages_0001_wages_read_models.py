"""wages read models: statements, work sessions, quota results, related units

Revision ID: gw_wages_0001
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gw_wages_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wage_statements",
        sa.Column("statement_id", sa.String(40), primary_key=True),
        sa.Column("line_id", sa.String(100), nullable=False),
        sa.Column("batch_id", sa.String(40)),
        sa.Column("platform_id", sa.String(100), nullable=False, index=True),
        sa.Column("worker_id", sa.String(100), nullable=False, index=True),
        sa.Column("contract_id", sa.String(100), nullable=False),
        sa.Column("enterprise_id", sa.String(100)),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False, index=True),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("gross_fen", sa.BigInteger, nullable=False),
        sa.Column("net_due_fen", sa.BigInteger, nullable=False),
        sa.Column("paid_fen", sa.BigInteger, nullable=False),
        sa.Column("paid_on", sa.Date),
        sa.Column("worked_minutes", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("occupation", sa.String(40)),
        sa.Column("district", sa.String(40)),
        sa.Column("minimum_wage_met", sa.Boolean),
        sa.Column("rules_broken", postgresql.JSONB, nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wage_work_sessions",
        sa.Column("session_id", sa.String(40), primary_key=True),
        sa.Column("platform_id", sa.String(100), nullable=False, index=True),
        sa.Column("worker_id", sa.String(100), nullable=False, index=True),
        sa.Column("work_date", sa.Date, nullable=False, index=True),
        sa.Column("working_minutes", sa.Integer, nullable=False),
        sa.Column("orders_completed", sa.Integer, nullable=False),
        sa.Column("post", sa.String(64)),
    )
    op.create_table(
        "wage_quota_results",
        sa.Column("platform_id", sa.String(100), primary_key=True),
        sa.Column("post", sa.String(64), primary_key=True),
        sa.Column("work_date", sa.Date, primary_key=True),
        sa.Column("quota_orders_per_day", sa.Integer, nullable=False),
        sa.Column("workers", sa.Integer, nullable=False),
        sa.Column("reaching", sa.Integer, nullable=False),
        sa.Column("met", sa.Boolean, nullable=False),
    )
    op.create_table(
        "wage_related_units",
        sa.Column("platform_id", sa.String(100), primary_key=True),
        sa.Column("enterprise_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("platform_entrusted_to_pay", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    for table in ("wage_related_units", "wage_quota_results", "wage_work_sessions", "wage_statements"):
        op.drop_table(table)
