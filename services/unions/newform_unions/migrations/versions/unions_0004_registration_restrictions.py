"""unions' copy of contracts' restrictions and their lifts (`contracts.account.restricted.v1`,
`contracts.account.restriction_lifted.v1`, M5): a registration is active while none of its cancellations
is in effect, so a worker whose cancellation was lifted (an appeal upheld, a wrongful cancellation undone)
counts again in union coverage (M17; RULES.md "Union coverage")

Revision ID: unions_0004
Revises: unions_0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "unions_0004"
down_revision: str | Sequence[str] | None = "unions_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Restrictions consumed before this revision were not kept: a cancellation lifted before it stays in
    # effect here until contracts' events are replayed to this service; one lifted after it is reinstated
    # (no cancellation of that registration is known here any more).
    op.create_table(
        "registration_restrictions",
        sa.Column("restriction_id", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_registration_restrictions_registration", "registration_restrictions", ["worker_id", "platform_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_registration_restrictions_registration", table_name="registration_restrictions")
    op.drop_table("registration_restrictions")
