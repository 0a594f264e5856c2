"""contracts: collective contracts in force, from unions' events (their piece rates bind contracts)

Revision ID: 0003_collective_contracts
Revises: 0002_contracts_issue8
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_collective_contracts"
down_revision: str | Sequence[str] | None = "0002_contracts_issue8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # contracts' copy of the unions' collective contracts (劳动合同法 art. 55): kept after they end
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


def downgrade() -> None:
    op.execute("drop table collective_contracts")
