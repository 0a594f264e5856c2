"""bad-weather warnings (M8) from departments' events

Revision ID: gw_departments_0003
Revises: gw_departments_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw_departments_0003"
down_revision: str | Sequence[str] | None = "gw_departments_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "department_weather_warnings",
        sa.Column("warning_id", sa.String(40), primary_key=True),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(32), nullable=False, index=True),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("hazard", sa.String(16), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS),
        sa.Column("cancelled_at", TS),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("department_weather_warnings")
