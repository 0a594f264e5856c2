"""cases: an award or a judgment recorded by the departments, with its reference number

Revision ID: disputes_0004
Revises: disputes_0003
Create Date: 2026-12-06 23:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = "disputes_0004"
down_revision: str | Sequence[str] | None = "disputes_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("decision_forum", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.add_column("cases", sa.Column("decision_outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.add_column("cases", sa.Column("decision_reference", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column("cases", sa.Column("decision_version", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("decided_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("decision_amount_fen", sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in (
        "decision_amount_fen",
        "decided_on",
        "decision_version",
        "decision_reference",
        "decision_outcome",
        "decision_forum",
    ):
        op.drop_column("cases", column)
