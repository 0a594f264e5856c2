"""common tables: 64-bit Kafka offsets in the inbox and 64-bit outbox ids

A Kafka offset is a 64-bit number and an outbox id grows with every event: at 2^31 a 32-bit column
refuses the insert and the consumer or the writes stall. One migration here changes every service.

Revision ID: common_0002
Revises: common_0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "common_0002"
down_revision: str | None = "common_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("inbox", "offset", type_=sa.BigInteger(), existing_nullable=False)
    op.alter_column("outbox", "id", type_=sa.BigInteger(), existing_nullable=False)
    op.execute("ALTER SEQUENCE IF EXISTS outbox_id_seq AS bigint")


def downgrade() -> None:
    op.execute("ALTER SEQUENCE IF EXISTS outbox_id_seq AS integer")
    op.alter_column("outbox", "id", type_=sa.Integer(), existing_nullable=False)
    op.alter_column("inbox", "offset", type_=sa.Integer(), existing_nullable=False)
