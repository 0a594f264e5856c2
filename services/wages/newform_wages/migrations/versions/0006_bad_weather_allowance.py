"""wages: a statement's bad-weather allowance kept on its own (M7: judged against a collective contract's
per-day standard); null on statements stored before, which are not judged

Revision ID: wages_0006
Revises: wages_0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "wages_0006"
down_revision: str | None = "wages_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("alter table statements add column bad_weather_allowance_fen bigint")


def downgrade() -> None:
    op.execute("alter table statements drop column bad_weather_allowance_fen")
