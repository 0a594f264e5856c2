"""contracts read models: the lift of a restriction or cancellation on account_restrictions (`lifted_at`,
`lifted_by_role`, from `contracts.account.restriction_lifted.v1`, M5), so that a registration whose
cancellation was lifted is active again (union coverage, M17; registrations per district and platform).
`action` may be unknown while only the lift is (the row is made by whichever event comes first). The lifts
already in the event log are applied here, and every registration's `active` decided again from them.

Revision ID: gw_contracts_0001
Revises: 0004_read_counters
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gw_contracts_0001"
down_revision: str | Sequence[str] | None = "0004_read_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account_restrictions", sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("account_restrictions", sa.Column("lifted_by_role", sa.String(40), nullable=True))
    op.alter_column("account_restrictions", "action", existing_type=sa.String(20), nullable=True)
    # The lifts the gateway logged but did not project before this revision (a restriction not projected is
    # made from its lift alone: its facts arrive with its own event, if ever).
    op.execute("""
        insert into account_restrictions (restriction_id, worker_id, platform_id, lifted_at, lifted_by_role)
        select e.data->>'restriction_id', e.data->>'worker_id', e.data->>'platform_id',
               (e.data->>'lifted_at')::timestamptz, e.data->>'lifted_by_role'
        from event_log e where e.type = 'contracts.account.restriction_lifted.v1'
        on conflict (restriction_id) do update
        set lifted_at = excluded.lifted_at, lifted_by_role = excluded.lifted_by_role
    """)
    # The same decision as the projection's (repository.refresh_registrations): active while no
    # cancellation of the registration is in effect; the read counters' triggers follow.
    op.execute("""
        update worker_registrations r set active = not exists (
            select 1 from account_restrictions a
            where a.worker_id = r.worker_id and a.platform_id = r.platform_id
              and a.action = 'cancel' and a.lifted_at is null)
        where r.active is distinct from not exists (
            select 1 from account_restrictions a
            where a.worker_id = r.worker_id and a.platform_id = r.platform_id
              and a.action = 'cancel' and a.lifted_at is null)
    """)


def downgrade() -> None:
    op.execute("delete from account_restrictions where action is null")
    op.alter_column("account_restrictions", "action", existing_type=sa.String(20), nullable=False)
    op.drop_column("account_restrictions", "lifted_by_role")
    op.drop_column("account_restrictions", "lifted_at")
