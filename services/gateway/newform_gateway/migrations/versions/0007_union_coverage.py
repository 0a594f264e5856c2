"""Union coverage (M17) and the rest stations' registered workers (M14) at province scale (issue 25): a read
model kept by statement-level triggers in the transaction that writes the rows it summarises, so
`GET /v1/unions/coverage`, `/unions`, `GET /v1/rest-stations/coverage`, `/departments` and the platforms'
scorecards read a few counter rows instead of every registration.

The definition is the coverage API's (sources/unions/service.py, the module docstring), unchanged:
- `union_coverage_workers`: each registered worker (an active registration) once, in the residence district of
  their latest active registration (registered_at desc nulls last, then registration id desc), whether they
  hold an active membership of any union, and the platforms they hold an active registration with (distinct,
  sorted). Kept from `worker_registrations` and `unions_memberships`: a statement recomputes the workers it
  touched from those tables (one worker's registrations and memberships are few, both indexed by worker_id).
- `union_coverage_counts`: per (district, platform) the registered workers and the members among them;
  platform '' counts each worker once (the district rows), a platform's row counts its workers of that
  district (a person with two platforms is in both). Kept by a trigger on `union_coverage_workers`, as
  0004's read_counters (sum per statement, zero rows deleted so a rebuild's table equals the live one).

Two transactions touching one worker (a registration, a membership) must not each recompute that worker from
a snapshot without the other's write: the recompute takes a transaction lock per worker (a statement touching
many workers, a replay's, takes one lock for all instead) and reads after it, in a new snapshot.

Revision ID: 0007_union_coverage
Revises: 0006_event_log_by_month
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_union_coverage"
down_revision: str | Sequence[str] | None = "0006_event_log_by_month"
branch_labels: str | Sequence[str] | None = None
#: The memberships (gw_unions_0003's worker_id) and registrations it summarises.
depends_on: str | Sequence[str] | None = ("gw_unions_0003",)

#: advisory lock keys: (LOCK, 0) all of coverage (shared per worker, exclusive for a bulk statement);
#: (LOCK_WORKER, hash) one worker.
LOCK, LOCK_WORKER = 250007, 250008
#: above this many workers a statement locks all of coverage instead of each worker (the lock table's size)
MANY = 1000

REFRESH = f"""
create function union_coverage_refresh(ids text[]) returns void language plpgsql as $$
begin
  if ids is null or cardinality(ids) = 0 then
    return;
  end if;
  if cardinality(ids) > {MANY} then
    perform pg_advisory_xact_lock({LOCK}, 0);
  else
    perform pg_advisory_xact_lock_shared({LOCK}, 0);
    perform pg_advisory_xact_lock({LOCK_WORKER}, h)
       from (select distinct hashtext(w) as h from unnest(ids) w order by 1) x;
  end if;
  -- each statement below reads in a new snapshot (read committed): after the locks, another writer's rows
  delete from union_coverage_workers c
   where c.worker_id = any(ids)
     and not exists (select 1 from worker_registrations r where r.worker_id = c.worker_id and r.active);
  insert into union_coverage_workers (worker_id, district, member, platforms)
  select w.worker_id, latest.district,
         exists (select 1 from unions_memberships m where m.worker_id = w.worker_id and m.status = 'active'),
         array(select distinct r.platform_id::text from worker_registrations r
                where r.worker_id = w.worker_id and r.active order by 1)
    from (select distinct worker_id from unnest(ids) as u(worker_id) where worker_id is not null) w
    join lateral (
      select r.residence_district as district from worker_registrations r
       where r.worker_id = w.worker_id and r.active
       order by r.registered_at desc nulls last, r.registration_id desc limit 1) latest on true
  on conflict (worker_id) do update
     set district = excluded.district, member = excluded.member, platforms = excluded.platforms
   where (union_coverage_workers.district, union_coverage_workers.member, union_coverage_workers.platforms)
         is distinct from (excluded.district, excluded.member, excluded.platforms);
end $$"""

# The workers a statement's rows touch (only where what coverage reads changed, on an update).
REGISTRATIONS_CHANGED = """
  select n.worker_id from new_rows n left join old_rows o using (registration_id)
   where (o.worker_id, o.platform_id, o.residence_district, o.registered_at, o.active)
         is distinct from (n.worker_id, n.platform_id, n.residence_district, n.registered_at, n.active)
  union
  select o.worker_id from old_rows o left join new_rows n using (registration_id)
   where (o.worker_id, o.platform_id, o.residence_district, o.registered_at, o.active)
         is distinct from (n.worker_id, n.platform_id, n.residence_district, n.registered_at, n.active)"""
MEMBERSHIPS_CHANGED = """
  select n.worker_id from new_rows n left join old_rows o using (membership_id)
   where (o.worker_id, o.status = 'active') is distinct from (n.worker_id, n.status = 'active')
  union
  select o.worker_id from old_rows o left join new_rows n using (membership_id)
   where (o.worker_id, o.status = 'active') is distinct from (n.worker_id, n.status = 'active')"""
SOURCES = {"worker_registrations": REGISTRATIONS_CHANGED, "unions_memberships": MEMBERSHIPS_CHANGED}
#: a transition table the trigger's event has not (an insert's old rows, a delete's new rows): none
EMPTY = "(select * from {table} where false)"


def changed(table: str, has_new: bool, has_old: bool) -> str:
    sql = SOURCES[table]
    for name, present in (("new_rows", has_new), ("old_rows", has_old)):
        if not present:
            sql = sql.replace(f" {name} ", f" {EMPTY.format(table=table)} ")
    return f"perform union_coverage_refresh(array(select worker_id from ({sql}) x where worker_id is not null));"


def contributions(source: str, sign: int) -> str:
    member = f"case when r.member then {sign} else 0 end"
    return (
        f"select r.district, ''::text as platform_id, {sign} as registered, {member} as members from {source} r "
        f"union all select r.district, p, {sign}, {member} from {source} r cross join unnest(r.platforms) p"
    )


def apply(rows_sql: str) -> str:
    return (
        "insert into union_coverage_counts (district, platform_id, registered, members) "
        f"select district, platform_id, sum(registered), sum(members) from ({rows_sql}) c group by 1, 2 "
        "having sum(registered) <> 0 or sum(members) <> 0 "
        "on conflict (district, platform_id) do update set registered = union_coverage_counts.registered + "
        "excluded.registered, members = union_coverage_counts.members + excluded.members; "
        "delete from union_coverage_counts where registered = 0 and members = 0;"
    )


TRIGGER_EVENTS = (
    ("ins", "insert", "new table as new_rows", True, False),
    ("upd", "update", "old table as old_rows new table as new_rows", True, True),
    ("del", "delete", "old table as old_rows", False, True),
)


def upgrade() -> None:
    op.execute("""
        create table union_coverage_workers (
            worker_id varchar(100) primary key, district varchar(40), member boolean not null,
            platforms text[] not null)""")
    op.execute("""
        create table union_coverage_counts (
            district varchar(40), platform_id varchar(100) not null,
            registered bigint not null default 0, members bigint not null default 0,
            constraint uq_union_coverage_counts unique nulls not distinct (district, platform_id))""")
    op.execute(f"""
        create function count_union_coverage() returns trigger language plpgsql as $$
        begin
          if tg_op = 'INSERT' then
            {apply(contributions("new_rows", 1))}
          elsif tg_op = 'UPDATE' then
            {apply(contributions("new_rows", 1) + " union all " + contributions("old_rows", -1))}
          else
            {apply(contributions("old_rows", -1))}
          end if;
          return null;
        end $$""")
    for suffix, event, tables, _, _ in TRIGGER_EVENTS:
        op.execute(
            f"create trigger count_union_coverage_{suffix} after {event} on union_coverage_workers "
            f"referencing {tables} for each statement execute function count_union_coverage()"
        )
    op.execute(REFRESH)
    for table in SOURCES:
        for suffix, event, tables, has_new, has_old in TRIGGER_EVENTS:
            op.execute(f"""
                create function union_coverage_{table}_{suffix}() returns trigger language plpgsql as $$
                begin
                  {changed(table, has_new, has_old)}
                  return null;
                end $$""")
            op.execute(
                f"create trigger union_coverage_{suffix} after {event} on {table} referencing {tables} "
                f"for each statement execute function union_coverage_{table}_{suffix}()"
            )
    # what is already there
    op.execute("select union_coverage_refresh(array(select distinct worker_id from worker_registrations where active))")


def downgrade() -> None:
    for table in SOURCES:
        for suffix, *_ in TRIGGER_EVENTS:
            op.execute(f"drop trigger union_coverage_{suffix} on {table}")
            op.execute(f"drop function union_coverage_{table}_{suffix}()")
    op.execute("drop function union_coverage_refresh(text[])")
    op.execute("drop table union_coverage_counts")
    op.execute("drop table union_coverage_workers")
    op.execute("drop function count_union_coverage()")
