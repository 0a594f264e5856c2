"""cases: the day of receipt, the mediation body, the committee's refusal, the interrupted limitation,
the award's items, a case waiting for a new mediator

Revision ID: disputes_0003
Revises: disputes_0002
Create Date: 2026-12-06 23:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "disputes_0003"
down_revision: str | Sequence[str] | None = "disputes_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("received_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("mediation_body", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.add_column("cases", sa.Column("mediator_needed_since", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("arbitration_refused_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("arbitration_refusal_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column("cases", sa.Column("limitation_runs_from", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("award_items", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    # Cases opened before this revision were received the day they were entered.
    op.execute("update cases set received_on = (received_at at time zone 'Asia/Shanghai')::date")


def downgrade() -> None:
    for column in (
        "award_items",
        "limitation_runs_from",
        "arbitration_refusal_reason",
        "arbitration_refused_on",
        "mediator_needed_since",
        "mediation_body",
        "received_on",
    ):
        op.drop_column("cases", column)
