"""facts held by departments (departments.py): one row per fact, its latest version

Revision ID: gw_departments_0001
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gw_departments_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "department_facts",
        sa.Column("fact_id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("subject_key", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", postgresql.JSONB(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("department_facts")
