"""platforms' responses to bad-weather warnings (M8) from contracts' events

Revision ID: gw_contracts_0002
Revises: gw_contracts_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw_contracts_0002"
down_revision: str | Sequence[str] | None = "gw_contracts_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "weather_responses",
        sa.Column("response_id", sa.String(40), primary_key=True),
        sa.Column("warning_id", sa.String(40), nullable=False, index=True),
        sa.Column("platform_id", sa.String(100), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("dispatch", sa.String(16), nullable=False),
        sa.Column("completion_time_extended_minutes", sa.Integer(), nullable=False),
        sa.Column("rule_notice_id", sa.String(100)),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("declared_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("weather_responses")
