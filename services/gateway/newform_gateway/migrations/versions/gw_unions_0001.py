"""unions read model (sources/unions/): one row per subject of unions's events, its latest event

Revision ID: gw_unions_0001
Revises: 0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gw_unions_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unions_subjects",
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("last_event_type", sa.String(120), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform_id", sa.String(100), nullable=True, index=True),
        sa.Column("worker_id", sa.String(100), nullable=True, index=True),
        sa.Column("data", postgresql.JSONB(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unions_subjects")
