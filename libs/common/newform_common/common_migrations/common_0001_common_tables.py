# ruff: noqa: E501
"""common tables: outbox, inbox, idempotency keys, findings, deadlines

One migration branch (label `common`) that every service's first migration depends on, so a change
to a common table is one migration here, not one per service.

Databases made before this branch existed already hold some of these tables (each service created
them in its own first migration): a table that exists is adopted, not created again.

Revision ID: common_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "common_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("common",)
depends_on: str | Sequence[str] | None = None


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _missing("idempotency_keys"):
        op.create_table(
            "idempotency_keys",
            sa.Column("principal", sa.String(200), nullable=False),
            sa.Column("key", sa.String(200), nullable=False),
            sa.Column("operation", sa.String(200), nullable=False),
            sa.Column("request_hash", sa.String(64), nullable=False),
            sa.Column("status_code", sa.Integer(), nullable=False),
            sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
            sa.PrimaryKeyConstraint("principal", "key"),
        )
    if _missing("inbox"):
        op.create_table(
            "inbox",
            sa.Column("consumer", sa.String(200), nullable=False),
            sa.Column("event_id", sa.String(64), nullable=False),
            sa.Column("type", sa.String(200), nullable=False),
            sa.Column("topic", sa.String(200), nullable=False),
            sa.Column("partition", sa.Integer(), nullable=False),
            sa.Column("offset", sa.Integer(), nullable=False),
            sa.Column("outcome", sa.String(20), nullable=False),
            sa.Column("handled_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
            sa.PrimaryKeyConstraint("consumer", "event_id"),
        )
    if _missing("outbox"):
        op.create_table(
            "outbox",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("event_id", sa.String(64), nullable=False),
            sa.Column("topic", sa.String(200), nullable=False),
            sa.Column("key", sa.String(200), nullable=False),
            sa.Column("type", sa.String(200), nullable=False),
            sa.Column("source", sa.String(200), nullable=False),
            sa.Column("subject", sa.String(200), nullable=True),
            sa.Column("time", sa.DateTime(timezone=True), nullable=False),
            sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("last_error", sa.String(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("event_id"),
        )
        op.create_index(
            "ix_outbox_unpublished", "outbox", ["id"], unique=False, postgresql_where=sa.text("published_at IS NULL")
        )
    if _missing("findings"):
        op.create_table(
            "findings",
            sa.Column("id", sa.String(64), nullable=False),
            sa.Column("measure", sa.String(4), nullable=False),
            sa.Column("rule", sa.String(100), nullable=False),
            sa.Column("severity", sa.String(8), nullable=False),
            sa.Column("summary", sa.String(), nullable=False),
            sa.Column("subject_type", sa.String(32), nullable=False),
            sa.Column("subject_id", sa.String(64), nullable=False),
            sa.Column("platform_id", sa.String(64), nullable=True),
            sa.Column("enterprise_id", sa.String(64), nullable=True),
            sa.Column("worker_id", sa.String(64), nullable=True),
            sa.Column("occupation", sa.String(32), nullable=True),
            sa.Column("district", sa.String(32), nullable=True),
            sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
            sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_findings_platform_id", "findings", ["platform_id"])
        op.create_index("ix_findings_rule", "findings", ["rule"])
        op.create_index("ix_findings_subject_id", "findings", ["subject_id"])
    if not any(ix["name"] == "ix_findings_worker_id" for ix in sa.inspect(op.get_bind()).get_indexes("findings")):
        op.create_index("ix_findings_worker_id", "findings", ["worker_id"])
    if _missing("deadlines"):
        op.create_table(
            "deadlines",
            sa.Column("id", sa.String(40), nullable=False),
            sa.Column("kind", sa.String(100), nullable=False),
            sa.Column("subject_id", sa.String(100), nullable=False),
            sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("last_error", sa.String(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_deadlines_subject_id", "deadlines", ["subject_id"])
        op.create_index("ix_deadlines_due", "deadlines", ["due_at"], postgresql_where=sa.text("status = 'pending'"))
        op.create_index(
            "uq_deadlines_live",
            "deadlines",
            ["kind", "subject_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'paused')"),
        )


def downgrade() -> None:
    for table in ("deadlines", "findings", "outbox", "inbox", "idempotency_keys"):
        op.drop_table(table)
