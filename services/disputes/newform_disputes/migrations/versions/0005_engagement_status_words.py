"""engagements: the contract's status in contracts' own word (`draft`, was stored as `drafted`)

A consumer keeps the producer's word (docs/shape.md, "States are types"): contracts calls a contract
not yet sent `draft`; the copy said `drafted` (the event's name). Nothing outside this service read it.

Revision ID: disputes_0005
Revises: disputes_0004
Create Date: 2026-12-07 02:10:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "disputes_0005"
down_revision: str | Sequence[str] | None = "disputes_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("update engagements set status = 'draft' where status = 'drafted'")


def downgrade() -> None:
    op.execute("update engagements set status = 'drafted' where status = 'draft'")
