"""Pre-aggregated read models (read_counters) kept by statement-level triggers; indexes for the
regulator's lists — so the overview, scorecards and trends cost the same at any length of history.

Revision ID: 0004_read_counters
Revises: 0003_bigint_offsets
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_read_counters"
down_revision: str | None = "0003_bigint_offsets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHANGHAI_DAY = "((r.time at time zone 'Asia/Shanghai')::date)::text"
INSURED = (
    "r.status = 'signed' and (coalesce((r.insurance->>'work_injury')::boolean, false) "
    "or coalesce((r.insurance->>'occupational_injury')::boolean, false))"
)

# table -> counters: (scope, dimension, key, counted when). A row counts +1 where it is inserted or
# becomes counted, -1 where it is deleted or stops being counted; null keys are not counted (the
# queries' group-bys skipped them too). Scope '' is the city; otherwise a platform id.
COUNTERS: dict[str, list[tuple[str, str, str, str]]] = {
    "worker_registrations": [
        ("''", "registrations_active", "''", "r.active"),
        ("''", "registrations_by_district", "r.residence_district", "r.active"),
        ("''", "registrations_by_occupation", "r.occupation", "r.active"),
        ("r.platform_id", "registrations_active", "''", "r.active"),
        ("r.platform_id", "registrations_by_district", "r.residence_district", "r.active"),
        ("r.platform_id", "registrations_by_occupation", "r.occupation", "r.active"),
        ("''", "platforms", "r.platform_id", "true"),
        ("r.platform_id", "active_registrations_of_worker", "r.worker_id", "r.active"),
    ],
    "contracts": [
        ("''", "contracts_by_engagement_type", "r.engagement_type", "true"),
        ("''", "contracts_by_status", "r.status", "true"),
        ("''", "contracts_by_district", "r.district", "true"),
        ("r.platform_id", "contracts_by_engagement_type", "r.engagement_type", "true"),
        ("r.platform_id", "contracts_by_status", "r.status", "true"),
        ("r.platform_id", "contracts_signed_insured", "''", INSURED),
        ("r.platform_id", "signed_contracts_of_worker", "r.worker_id", "r.status = 'signed'"),
    ],
    "event_log": [
        ("''", "services", "r.service", "true"),
        ("''", "day_registrations", SHANGHAI_DAY, "r.type = 'contracts.worker.registered.v1'"),
        ("''", "day_contracts", SHANGHAI_DAY, "r.type = 'contracts.contract.drafted.v1'"),
        ("''", "day_findings", SHANGHAI_DAY, "r.type like '%.finding.raised.v1'"),
    ],
    "alerts": [
        ("''", "alerts_by_measure", "r.measure", "true"),
        ("''", "alerts_by_status", "r.status", "true"),
    ],
}


def contributions(table: str, source: str, sign: int) -> str:
    parts = [
        f"select {scope} as scope, '{dimension}' as dimension, {key} as key, {sign} as n from {source} r "
        f"where ({when}) and {key} is not null"
        for scope, dimension, key, when in COUNTERS[table]
    ]
    return " union all ".join(parts)


def apply(rows_sql: str) -> str:
    return (
        f"insert into read_counters (scope, dimension, key, n) select scope, dimension, key, sum(n) "
        f"from ({rows_sql}) c group by scope, dimension, key having sum(n) <> 0 "
        f"on conflict (scope, dimension, key) do update set n = read_counters.n + excluded.n;"
    )


def upgrade() -> None:
    op.execute("""
        create table read_counters (
            scope varchar(120) not null, dimension varchar(60) not null, key varchar(200) not null,
            n bigint not null default 0,
            primary key (scope, dimension, key))""")
    # A platform's workers with a signed contract and an active registration there (the scorecard's
    # contract coverage): kept from the two per-worker counters when either crosses zero — per
    # statement, over its changed rows, so one batch updates each platform's figure once.
    crossings = """
        select c.scope, case when c.now_counted then 1 else -1 end as n
        from ({changed}) c
        join read_counters other on other.scope = c.scope and other.key = c.key and other.n > 0
         and other.dimension = case c.dimension when 'signed_contracts_of_worker'
                                    then 'active_registrations_of_worker' else 'signed_contracts_of_worker' end
        where c.was_counted <> c.now_counted"""
    per_worker = "('signed_contracts_of_worker', 'active_registrations_of_worker')"
    inserted = (
        f"select scope, dimension, key, false as was_counted, n > 0 as now_counted from new_rows "
        f"where dimension in {per_worker}"
    )
    updated = (
        f"select o.scope, o.dimension, o.key, o.n > 0 as was_counted, w.n > 0 as now_counted "
        f"from old_rows o join new_rows w using (scope, dimension, key) where o.dimension in {per_worker}"
    )

    def covered(changed: str) -> str:
        return (
            f"insert into read_counters (scope, dimension, key, n) "
            f"select scope, 'workers_with_signed_contract', '', sum(n) "
            f"from ({crossings.format(changed=changed)}) x "
            f"group by scope having sum(n) <> 0 "
            f"on conflict (scope, dimension, key) do update set n = read_counters.n + excluded.n;"
        )

    op.execute(f"""
        create function count_workers_covered() returns trigger language plpgsql as $$
        begin
          if not exists (select 1 from new_rows where dimension in {per_worker}) then
            return null;  -- its own write (and every other counter) ends here
          end if;
          if tg_op = 'INSERT' then
            {covered(inserted)}
          else
            {covered(updated)}
          end if;
          return null;
        end $$""")
    op.execute(
        "create trigger count_workers_covered_ins after insert on read_counters "
        "referencing new table as new_rows for each statement execute function count_workers_covered()"
    )
    op.execute(
        "create trigger count_workers_covered_upd after update on read_counters referencing old table as "
        "old_rows new table as new_rows for each statement execute function count_workers_covered()"
    )
    op.create_index("ix_alerts_raised", "alerts", ["raised_at", "alert_id"])
    op.create_index("ix_alert_routes_department", "alert_routes", ["department", "alert_id"])
    for table in COUNTERS:
        op.execute(f"""
            create function count_{table}() returns trigger language plpgsql as $$
            begin
              if tg_op = 'INSERT' then
                {apply(contributions(table, "new_rows", 1))}
              elsif tg_op = 'UPDATE' then
                {apply(contributions(table, "new_rows", 1) + " union all " + contributions(table, "old_rows", -1))}
              else
                {apply(contributions(table, "old_rows", -1))}
              end if;
              return null;
            end $$""")
        op.execute(
            f"create trigger count_{table}_ins after insert on {table} referencing new table as new_rows "
            f"for each statement execute function count_{table}()"
        )
        op.execute(
            f"create trigger count_{table}_upd after update on {table} referencing old table as old_rows "
            f"new table as new_rows for each statement execute function count_{table}()"
        )
        op.execute(
            f"create trigger count_{table}_del after delete on {table} referencing old table as old_rows "
            f"for each statement execute function count_{table}()"
        )
        op.execute(apply(contributions(table, table, 1)))  # what is already there


def downgrade() -> None:
    for table in COUNTERS:
        for suffix in ("ins", "upd", "del"):
            op.execute(f"drop trigger count_{table}_{suffix} on {table}")
        op.execute(f"drop function count_{table}()")
    op.execute("drop trigger count_workers_covered_ins on read_counters")
    op.execute("drop trigger count_workers_covered_upd on read_counters")
    op.execute("drop function count_workers_covered()")
    op.drop_index("ix_alert_routes_department", "alert_routes")
    op.drop_index("ix_alerts_raised", "alerts")
    op.execute("drop table read_counters")
