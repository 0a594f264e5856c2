"""unions' copy of contracts' worker registrations: `active`, false once the platform cancels the account
(`contracts.account.restricted.v1` with `cancel`), so that union coverage (M17) counts the workers the
gateway counts (RULES.md "Union coverage")

Revision ID: unions_0003
Revises: unions_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "unions_0003"
down_revision: str | Sequence[str] | None = "unions_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Registrations copied before this revision stay active: cancellations consumed earlier were skipped.
    op.add_column("worker_registrations", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("worker_registrations", "active")
