"""unions' tables: union organisations, memberships (one active per person), consultations, collective
contracts, and the local copies of contracts' worker registrations and rule versions

Revision ID: unions_0002
Revises: unions_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "unions_0002"
down_revision: str | Sequence[str] | None = "unions_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
JSON = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "unions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("platform_ids", JSON, nullable=False),
        sa.Column("districts", JSON, nullable=False),
        sa.Column("sector", sa.String(32)),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("union_id", sa.String(64), sa.ForeignKey("unions.id"), nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(64)),
        sa.Column("district", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("transfer_from", sa.String(64)),
        sa.Column("reason", sa.String()),
        sa.Column("applied_at", TS, nullable=False),
        sa.Column("decided_at", TS),
        sa.Column("joined_on", sa.Date()),
        sa.Column("ended_on", sa.Date()),
    )
    # One membership per person at a time, and one open application: the database refuses a second.
    op.create_index(
        "uq_memberships_one_active",
        "memberships",
        ["worker_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "uq_memberships_one_applied",
        "memberships",
        ["worker_id"],
        unique=True,
        postgresql_where=sa.text("status = 'applied'"),
    )
    op.create_index("ix_memberships_union", "memberships", ["union_id", "status"])
    op.create_index("ix_memberships_platform", "memberships", ["platform_id", "status"])
    op.create_table(
        "worker_registrations",
        sa.Column("registration_id", sa.String(64), primary_key=True),
        sa.Column("worker_id", sa.String(64), nullable=False, index=True),
        sa.Column("platform_id", sa.String(64), nullable=False, index=True),
        sa.Column("occupation", sa.String(32), nullable=False),
        sa.Column("residence_district", sa.String(32), nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.UniqueConstraint("platform_id", "worker_id", name="uq_worker_registrations_platform_worker"),
    )
    op.create_table(
        "rule_versions",
        sa.Column("notice_id", sa.String(64), primary_key=True),
        sa.Column("platform_id", sa.String(64), nullable=False, index=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("consulted", sa.Boolean(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("platform_id", "topic", "version", name="uq_rule_versions_version"),
    )
    op.create_table(
        "consultations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("union_id", sa.String(64), sa.ForeignKey("unions.id"), nullable=False, index=True),
        sa.Column("platform_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("base_version", sa.Integer()),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("reply_due_on", sa.Date(), nullable=False),
        sa.Column("replied_on", sa.Date()),
        sa.Column("reply", sa.String()),
        sa.Column("opinions", JSON, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("concluded_on", sa.Date()),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_consultations_platform_topic", "consultations", ["platform_id", "topic"])
    op.create_table(
        "collective_contracts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("union_id", sa.String(64), sa.ForeignKey("unions.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("platform_ids", JSON, nullable=False),
        sa.Column("sector_association", sa.String(200)),
        sa.Column("districts", JSON, nullable=False),
        sa.Column("occupations", JSON, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_until", sa.Date()),
        sa.Column("terms", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("signed_on", sa.Date()),
        sa.Column("submitted_on", sa.Date()),
        sa.Column("received_on", sa.Date()),
        sa.Column("submitted_late", sa.Boolean(), nullable=False),
        sa.Column("objected_on", sa.Date()),
        sa.Column("objections", JSON),
        sa.Column("in_force_on", sa.Date()),
        sa.Column("ended_on", sa.Date()),
        sa.Column("end_reason", sa.String(16)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("collective_contracts", "consultations", "rule_versions", "worker_registrations", "memberships"):
        op.drop_table(table)
    op.drop_table("unions")
