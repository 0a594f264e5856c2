"""event log: 64-bit Kafka offsets and sequence (a city's event history outgrows 32 bits)

Revision ID: 0003_bigint_offsets
Revises: 0002_alert_actions
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_bigint_offsets"
down_revision: str | None = "0002_alert_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("event_log", "offset", type_=sa.BigInteger(), existing_nullable=True)
    op.alter_column("event_log", "seq", type_=sa.BigInteger(), existing_nullable=False)
    op.execute("ALTER SEQUENCE IF EXISTS event_log_seq_seq AS bigint")


def downgrade() -> None:
    op.execute("ALTER SEQUENCE IF EXISTS event_log_seq_seq AS integer")
    op.alter_column("event_log", "seq", type_=sa.Integer(), existing_nullable=False)
    op.alter_column("event_log", "offset", type_=sa.Integer(), existing_nullable=True)
