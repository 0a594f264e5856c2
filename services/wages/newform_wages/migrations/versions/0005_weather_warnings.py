"""wages: its copy of the emergency department's bad-weather warnings (M8: work during a red warning)

Revision ID: wages_0005
Revises: wages_0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "wages_0005"
down_revision: str | None = "wages_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        create table weather_warnings (
            warning_id varchar(40) primary key,
            reference varchar(100) not null,
            version integer not null,
            district varchar(32) not null,
            level varchar(8) not null,
            hazard varchar(16) not null,
            starts_at timestamptz not null,
            ends_at timestamptz,
            cancelled_at timestamptz,
            updated_at timestamptz not null
        )
        """
    )


def downgrade() -> None:
    op.execute("drop table weather_warnings")
