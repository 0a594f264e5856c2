"""credit (M6, M19): records carry their own subject, debt and basis; listings on the wage-arrears list

Revision ID: gw_credit_0002
Revises: gw_credit_export_0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "gw_credit_0002"
down_revision: str | Sequence[str] | None = "gw_credit_export_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("credit_records", sa.Column("subject_credit_code", sa.String(40)))
    op.add_column("credit_records", sa.Column("subject_name", sa.String(200)))
    op.add_column("credit_records", sa.Column("subject_known_at", sa.DateTime(timezone=True)))
    op.add_column("credit_records", sa.Column("debt_key", sa.String(300), unique=True))
    op.add_column("credit_records", sa.Column("basis", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")))
    # Existing records: the subject is the record's own enterprise (a related unit's credit code from its
    # finding's evidence), never the platform; a record with neither stays held.
    op.execute("""
        update credit_records r set subject_credit_code = coalesce(
                   (select a.evidence -> 0 -> 'evidence' ->> 'credit_code' from alerts a where a.alert_id = r.alert_id),
                   (select e.credit_code from enterprises e where e.enterprise_id = r.enterprise_id)),
               subject_name = coalesce(
                   (select a.evidence -> 0 -> 'evidence' ->> 'unit_name' from alerts a where a.alert_id = r.alert_id),
                   (select e.name from enterprises e where e.enterprise_id = r.enterprise_id))""")
    op.execute("update credit_records set subject_known_at = confirmed_at where subject_credit_code is not null")
    op.create_table(
        "credit_listings",
        sa.Column("listing_id", sa.String(100), primary_key=True),
        sa.Column("subject_credit_code", sa.String(40), nullable=False, index=True),
        sa.Column("subject_name", sa.String(200)),
        sa.Column("inspection_fact_id", sa.String(40), nullable=False, unique=True),
        sa.Column("order_reference", sa.String(100), nullable=False),
        sa.Column("condition", sa.String(80), nullable=False),
        sa.Column("arrears_fen", sa.BigInteger(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("issuing_department", sa.String(60), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("record_ids", JSONB, nullable=False),
        sa.Column("basis", JSONB, nullable=False),
        sa.Column("note", sa.String()),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("credit_listing_ends", sa.Column("corrected_on", sa.Date()))
    op.add_column("credit_listing_ends", sa.Column("requested_on", sa.Date()))


def downgrade() -> None:
    op.drop_column("credit_listing_ends", "requested_on")
    op.drop_column("credit_listing_ends", "corrected_on")
    op.drop_table("credit_listings")
    for column in ("basis", "debt_key", "subject_known_at", "subject_name", "subject_credit_code"):
        op.drop_column("credit_records", column)
