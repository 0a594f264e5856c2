"""wages: an engagement drafted in contracts is stored with contracts' own word, `draft` (was `drafted`)

Revision ID: wages_0003
Revises: wages_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "wages_0003"
down_revision: str | None = "wages_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a consumer keeps the producer's word (docs/glossary.md): contracts' ContractStatus says `draft`
    op.execute("update engagements set status = 'draft' where status = 'drafted'")


def downgrade() -> None:
    op.execute("update engagements set status = 'drafted' where status = 'draft'")
