"""common tables: legal periods on deadlines (period, provisional) and the loaded holiday schedules

A deadline counted as a legal period keeps its recipe so that a newly loaded holiday schedule, a
suspension or an extension counts it again by the same rule; `provisional` says its due day rests on
a year without its State Council schedule. `calendar_schedules` holds the years loaded as data.

Revision ID: common_0003
Revises: common_0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "common_0003"
down_revision: str | None = "common_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("deadlines", sa.Column("period", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("deadlines", sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index(
        "ix_deadlines_live_periods",
        "deadlines",
        ["id"],
        postgresql_where=sa.text("status IN ('pending', 'paused') AND period IS NOT NULL"),
    )
    op.create_table(
        "calendar_schedules",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )


def downgrade() -> None:
    op.drop_table("calendar_schedules")
    op.drop_index("ix_deadlines_live_periods", table_name="deadlines")
    op.drop_column("deadlines", "provisional")
    op.drop_column("deadlines", "period")
