"""restriction appeals and lifts; findings held on drafts until the contract is sent

Revision ID: 0002_contracts_issue8
Revises: 0001
Create Date: 2026-11-29 08:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_contracts_issue8"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account_restrictions", sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "account_restrictions", sa.Column("lifted_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
    )
    op.add_column("account_restrictions", sa.Column("lift_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_table(
        "restriction_appeals",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("restriction_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("worker_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("grounds", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["restriction_id"],
            ["account_restrictions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_restriction_appeals_restriction_id"), "restriction_appeals", ["restriction_id"])
    op.create_index(op.f("ix_restriction_appeals_worker_id"), "restriction_appeals", ["worker_id"])
    op.create_index(op.f("ix_restriction_appeals_platform_id"), "restriction_appeals", ["platform_id"])
    op.create_table(
        "held_findings",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("contract_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("judged_on", sa.Date(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_held_findings_contract_id"), "held_findings", ["contract_id"])


def downgrade() -> None:
    op.drop_table("held_findings")
    op.drop_table("restriction_appeals")
    op.drop_column("account_restrictions", "lift_reason")
    op.drop_column("account_restrictions", "lifted_by")
    op.drop_column("account_restrictions", "lifted_at")
