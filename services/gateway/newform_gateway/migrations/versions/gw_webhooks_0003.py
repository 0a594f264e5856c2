"""webhooks: payload version, updated_at, the delivery log (one row per attempt)

Revision ID: gw_webhooks_0003
Revises: 0002_webhook_keys
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "gw_webhooks_0003"
down_revision: str | None = "0002_webhook_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhooks", sa.Column("payload_version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.add_column("webhooks", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "webhook_delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_webhook_delivery_attempts_delivery_id"), "webhook_delivery_attempts", ["delivery_id"])
    op.create_index(op.f("ix_webhook_delivery_attempts_webhook_id"), "webhook_delivery_attempts", ["webhook_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_delivery_attempts_webhook_id"), table_name="webhook_delivery_attempts")
    op.drop_index(op.f("ix_webhook_delivery_attempts_delivery_id"), table_name="webhook_delivery_attempts")
    op.drop_table("webhook_delivery_attempts")
    op.drop_column("webhooks", "updated_at")
    op.drop_column("webhooks", "payload_version")
