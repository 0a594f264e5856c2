"""rest stations and their reports (M14); notices (M11, M12, M15) and the copy of workers' registrations

Revision ID: departments_0003
Revises: departments_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "departments_0003"
down_revision: str | Sequence[str] | None = "departments_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
CODES = postgresql.ARRAY(sa.String(32))


def upgrade() -> None:
    op.create_table(
        "rest_stations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("keeper", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("district", sa.String(32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("amenities", CODES, nullable=False),
        sa.Column("hours", postgresql.JSONB(), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("keeper", "reference", name="uq_rest_stations_keeper_reference"),
    )
    op.create_index("ix_rest_stations_district", "rest_stations", ["district"])
    op.create_table(
        "rest_station_reports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("station_id", sa.String(40), nullable=False),
        sa.Column("keeper", sa.String(40), nullable=False),
        sa.Column("district", sa.String(32), nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("handled_at", TS),
        sa.Column("handled_note", sa.String(500)),
        sa.Column("finding_id", sa.String(40)),
    )
    op.create_index("ix_rest_station_reports_station_id", "rest_station_reports", ["station_id"])
    op.create_index("ix_rest_station_reports_keeper", "rest_station_reports", ["keeper", "status"])
    op.create_table(
        "notices",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("publisher", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("measure", sa.String(4), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("contact", sa.String(200)),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date()),
        sa.Column("districts", CODES, nullable=False),
        sa.Column("occupations", CODES, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("publisher", "reference", name="uq_notices_publisher_reference"),
    )
    op.create_index("ix_notices_validity", "notices", ["valid_from", "valid_until"])
    op.create_table(
        "worker_registrations",
        sa.Column("registration_id", sa.String(100), primary_key=True),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(100), nullable=False),
        sa.Column("occupation", sa.String(40), nullable=False),
        sa.Column("residence_district", sa.String(32), nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("cancelled_by", sa.String(100)),
    )
    op.create_index("ix_worker_registrations_worker", "worker_registrations", ["worker_id", "platform_id"])


def downgrade() -> None:
    op.drop_table("worker_registrations")
    op.drop_table("notices")
    op.drop_table("rest_station_reports")
    op.drop_table("rest_stations")
