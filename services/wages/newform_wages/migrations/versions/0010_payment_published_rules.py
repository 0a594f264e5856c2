"""wages: a statement keeps the rules its judgement found broken, as its line published them (`rules_broken`),
so a later payment publishes the line again and moves the gateway's totals exactly (the old line's part out,
the new one's in); null on statements stored before, which a payment judges again as on the day received

Revision ID: wages_0010
Revises: wages_0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "wages_0010"
down_revision: str | None = "wages_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("alter table statements add column rules_broken jsonb")


def downgrade() -> None:
    op.execute("alter table statements drop column rules_broken")
