"""unions read models (sources/unions/): memberships (counted per platform), consultations, collective contracts

Revision ID: gw_unions_0002
Revises: gw_unions_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gw_unions_0002"
down_revision: str | Sequence[str] | None = "gw_unions_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "unions_memberships",
        sa.Column("membership_id", sa.String(64), primary_key=True),
        sa.Column("union_id", sa.String(64), nullable=False, index=True),
        sa.Column("platform_id", sa.String(100), nullable=True, index=True),
        sa.Column("district", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "unions_consultations",
        sa.Column("consultation_id", sa.String(64), primary_key=True),
        sa.Column("union_id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(100), nullable=False, index=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("reply_due_on", sa.Date(), nullable=True),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("concluded_on", sa.Date(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "unions_collective_contracts",
        sa.Column("collective_contract_id", sa.String(64), primary_key=True),
        sa.Column("union_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("platform_ids", postgresql.JSONB(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("in_force_on", sa.Date(), nullable=True),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("unions_collective_contracts", "unions_consultations", "unions_memberships"):
        op.drop_table(table)
