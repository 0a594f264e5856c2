"""contracts: M8 — the warnings' copy, platforms' weather responses, rule notices' safety indicators

Revision ID: 0004_weather_safety
Revises: 0003_collective_contracts
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_weather_safety"
down_revision: str | Sequence[str] | None = "0003_collective_contracts"
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
            source varchar(200) not null,
            observed_at timestamptz not null,
            updated_at timestamptz not null
        )
        """
    )
    op.execute("create index ix_weather_warnings_district on weather_warnings (district, starts_at)")
    op.execute(
        """
        create table weather_responses (
            id varchar(64) primary key,
            warning_id varchar(40) not null,
            platform_id varchar(64) not null,
            dispatch varchar(16) not null,
            completion_time_extended_minutes integer not null,
            rule_notice_id varchar(64),
            note text,
            taken_at timestamptz not null,
            declared_at timestamptz not null
        )
        """
    )
    op.execute("create index ix_weather_responses_warning on weather_responses (warning_id, platform_id)")
    op.execute("create index ix_weather_responses_platform_id on weather_responses (platform_id)")
    # Backward compatible: a notice without indicators keeps null.
    op.execute("alter table rule_notices add column safety_indicators jsonb")


def downgrade() -> None:
    op.execute("alter table rule_notices drop column safety_indicators")
    op.execute("drop table weather_responses")
    op.execute("drop table weather_warnings")
