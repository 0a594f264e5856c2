"""verified enterprise records carry the days they speak for (M3 asks about day D) and when market stated them

Revision ID: contracts_verified_0002
Revises: contracts_verified_0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "contracts_verified_0002"
down_revision: str | Sequence[str] | None = "contracts_verified_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("verified_enterprises", sa.Column("valid_from", sa.Date()))
    op.add_column("verified_enterprises", sa.Column("valid_until", sa.Date()))
    op.add_column("verified_enterprises", sa.Column("observed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for column in ("observed_at", "valid_until", "valid_from"):
        op.drop_column("verified_enterprises", column)
