"""wages: collective contracts in force (from unions' events) and a statement's night allowance alone

Revision ID: wages_0004
Revises: wages_0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "wages_0004"
down_revision: str | None = "wages_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # wages' copy of the unions' collective contracts (劳动合同法 art. 55): kept after they end, so a fact is
    # judged under the contract in force on its own date
    op.execute(
        """
        create table collective_contracts (
            collective_contract_id varchar(64) primary key,
            union_id varchar(64) not null,
            kind varchar(16) not null,
            platform_ids jsonb not null,
            districts jsonb not null,
            occupations jsonb not null,
            effective_from date not null,
            effective_until date,
            in_force_on date not null,
            terms jsonb not null,
            ended_on date,
            end_reason varchar(16),
            updated_at timestamptz not null
        )
        """
    )
    op.execute("create index ix_collective_contracts_platforms on collective_contracts using gin (platform_ids)")
    # the night allowance alone (it is also summed in allowances_fen): judged against the agreed one
    op.execute("alter table statements add column night_allowance_fen bigint not null default 0")


def downgrade() -> None:
    op.execute("alter table statements drop column night_allowance_fen")
    op.execute("drop table collective_contracts")
