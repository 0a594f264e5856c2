"""unions read models: the member's worker id on unions_memberships (coverage per district and platform)

Revision ID: gw_unions_0003
Revises: gw_unions_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw_unions_0003"
down_revision: str | Sequence[str] | None = "gw_unions_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows projected before this column stay NULL until a rebuild (`newform gateway rebuild`) fills them.
    op.add_column("unions_memberships", sa.Column("worker_id", sa.String(100), nullable=True))
    op.create_index("ix_unions_memberships_worker_id", "unions_memberships", ["worker_id"])


def downgrade() -> None:
    op.drop_index("ix_unions_memberships_worker_id", table_name="unions_memberships")
    op.drop_column("unions_memberships", "worker_id")
