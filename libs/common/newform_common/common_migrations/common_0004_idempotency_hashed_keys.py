"""common tables: idempotency keys kept only as keyed hashes; an index for the retention purge

Keys were stored as sent, and a caller may send an ID number as its key. From now on only an
HMAC of scope and key is stored (`idempotency.stored_key`), which SQL cannot compute without the
service's secret: the records written before hold keys in clear and could never match a retry again,
so they are deleted. (A retry of a request answered before the upgrade is therefore a new request:
upgrade when no client is retrying, or accept that window.)

Revision ID: common_0004
Revises: common_0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "common_0004"
down_revision: str | None = "common_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE key NOT LIKE 'h1:%'")
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
