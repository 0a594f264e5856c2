"""webhooks: platform subscribers, rotatable secrets

Revision ID: 0002_webhook_keys
Revises: 0001
Create Date: 2026-11-29 08:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_webhook_keys"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("webhooks", "department", existing_type=sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True)
    op.add_column("webhooks", sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.create_index(op.f("ix_webhooks_platform_id"), "webhooks", ["platform_id"], unique=False)
    op.add_column("webhooks", sa.Column("previous_secret", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column("webhooks", sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        "ck_webhooks_one_subscriber", "webhooks", "(department IS NULL) <> (platform_id IS NULL)"
    )


def downgrade() -> None:
    op.drop_constraint("ck_webhooks_one_subscriber", "webhooks", type_="check")
    op.drop_column("webhooks", "previous_secret_expires_at")
    op.drop_column("webhooks", "previous_secret")
    op.drop_index(op.f("ix_webhooks_platform_id"), table_name="webhooks")
    op.drop_column("webhooks", "platform_id")
    op.alter_column("webhooks", "department", existing_type=sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False)
