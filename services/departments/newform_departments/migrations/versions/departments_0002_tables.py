"""departments tables: facts, known subjects, audit log, pull runs

Revision ID: departments_0002
Revises: departments_0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "departments_0002"
down_revision: str | Sequence[str] | None = "departments_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "facts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("worker_id", sa.String(64)),
        sa.Column("id_number_encrypted", sa.String()),
        sa.Column("credit_code", sa.String(18)),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("body", postgresql.JSONB(), nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("linked_at", TS),
        sa.UniqueConstraint("kind", "department", "reference", name="uq_facts_natural_key"),
    )
    op.create_index("ix_facts_worker", "facts", ["worker_id", "kind"])
    op.create_index("ix_facts_credit_code", "facts", ["credit_code", "kind"])
    op.create_table(
        "known_subjects",
        sa.Column("subject_type", sa.String(16), primary_key=True),
        sa.Column("subject_key", sa.String(64), primary_key=True),
        sa.Column("first_seen_at", TS, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("department", sa.String(32)),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("what", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(64)),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "pull_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.String()),
        sa.Column("line_errors", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("cursor", sa.String(200)),
    )
    op.create_index("ix_pull_runs_source", "pull_runs", ["source"])


def downgrade() -> None:
    for table in ("pull_runs", "audit_log", "known_subjects", "facts"):
        op.drop_table(table)
