"""verified facts from departments (verified.py): insurance, dispatch licences, enterprise records, liability

A branch of its own from 0001 (other contracts revisions grow beside it; migrations upgrade to all heads).

Revision ID: contracts_verified_0001
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "contracts_verified_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("verified",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verified_insurance",
        sa.Column("fact_id", sa.String(40), primary_key=True),
        sa.Column("worker_id", sa.String(64), nullable=False, index=True),
        sa.Column("insurance_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("start_date", sa.Date()),
        sa.Column("end_date", sa.Date()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "verified_licences",
        sa.Column("fact_id", sa.String(40), primary_key=True),
        sa.Column("licence_number", sa.String(100), nullable=False),
        sa.Column("holder_credit_code", sa.String(18), nullable=False, index=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date()),
        sa.Column("effective_until", sa.Date(), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "verified_enterprises",
        sa.Column("fact_id", sa.String(40), primary_key=True),
        sa.Column("credit_code", sa.String(18), nullable=False, index=True),
        sa.Column("registration_status", sa.String(16), nullable=False),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "verified_liability",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("fact_id", sa.String(40), primary_key=True),
        sa.Column("liable_party", sa.String(16), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    for table in ("verified_liability", "verified_enterprises", "verified_licences", "verified_insurance"):
        op.drop_table(table)
