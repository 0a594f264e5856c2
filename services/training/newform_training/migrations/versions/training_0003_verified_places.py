"""verified places (M13): departments' household and job-seeking registrations; a claim's place basis

Revision ID: training_0003
Revises: training_0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "training_0003"
down_revision: str | Sequence[str] | None = "training_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verified_places",
        sa.Column("fact_id", sa.String(40), primary_key=True),
        sa.Column("worker_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("region_code", sa.String(6)),
        sa.Column("district", sa.String(32)),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("claims", sa.Column("place_basis", postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column("claims", "place_basis")
    op.drop_table("verified_places")
