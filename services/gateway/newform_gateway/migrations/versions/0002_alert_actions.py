"""alert transitions: the action (acknowledged, commented, resolved); contract status in contracts' words

Revision ID: 0002_alert_actions
Revises: gw_training_0001
Create Date: 2026-11-29 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_alert_actions"
down_revision: str | None = "gw_training_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "alert_transitions",
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="acknowledged"),
    )
    op.execute("update alert_transitions set action = 'resolved' where to_status = 'resolved'")
    op.alter_column("alert_transitions", "action", server_default=None)
    # One vocabulary with the contracts service: a drafted contract's status is `draft`.
    op.execute("update contracts set status = 'draft' where status = 'drafted'")


def downgrade() -> None:
    op.execute("update contracts set status = 'drafted' where status = 'draft'")
    op.drop_column("alert_transitions", "action")
