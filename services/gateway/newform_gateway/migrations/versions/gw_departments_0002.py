"""rest stations (M14) and workers' reports on them, from departments' events

Revision ID: gw_departments_0002
Revises: gw_departments_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gw_departments_0002"
down_revision: str | Sequence[str] | None = "gw_departments_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "department_rest_stations",
        sa.Column("station_id", sa.String(40), primary_key=True),
        sa.Column("keeper", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(32), nullable=False, index=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("amenities", postgresql.JSONB(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "department_station_reports",
        sa.Column("report_id", sa.String(40), primary_key=True),
        sa.Column("station_id", sa.String(40), nullable=False),
        sa.Column("keeper", sa.String(40), nullable=False),
        sa.Column("district", sa.String(32), nullable=False, index=True),
        sa.Column("kind", sa.String(16)),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("due_at", TS),
        sa.Column("handled_at", TS),
    )


def downgrade() -> None:
    op.drop_table("department_station_reports")
    op.drop_table("department_rest_stations")
