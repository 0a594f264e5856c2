"""Wages' figures from the alerts at province scale (issue 25): arrears (M6) and working time over the limits
(M7) counted into read_counters by statement-level triggers on alerts, so `GET /v1/wages/arrears`,
`GET /v1/wages/working-time` and the 工资与工时 page read a few counter rows instead of aggregating every
arrears and working-time alert at request time (at 1,000,000 workers 50,000 each: 0.5–1.5 s a request).

The figures are the ones the queries computed (sources/wages/repository.py), unchanged — over wages' alerts
(`source_service = 'wages'`), whatever their status:
- per district × occupation (`GROUP`; either may be unknown: '' in the key): arrears cases, the amount owed
  (the latest finding's `arrears_fen`, `AMOUNT`) and the distinct workers;
- per month of the first finding (Asia/Shanghai): arrears cases and amount;
- per M7 rule: breaches; the distinct workers over the hours limits (`LIMIT_RULES`).
Distinct workers are counted as 0004 counts a platform's covered workers: a per-worker counter (alerts of
that worker in the group) and a trigger on read_counters that moves the group's figure when one crosses zero.

A rebuild suspends the alert triggers with the others and counts once at the end (`repository.suspend_counting`
and `count_all` read TRIGGERS, `contributions` and `apply` from here: one definition).

Revision ID: gw_wages_0003
Revises: gw_wages_0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "gw_wages_0003"
down_revision: str | Sequence[str] | None = "gw_wages_0002"
branch_labels: str | Sequence[str] | None = None
#: read_counters (0004)
depends_on: str | Sequence[str] | None = ("0004_read_counters",)

SCOPE = "wages"
ARREARS = "r.rule = 'M6.wage_arrears' and r.source_service = 'wages'"
WORKING_TIME = "r.measure = 'M7' and r.source_service = 'wages'"
LIMIT_RULES = ("M7.daily_hours", "M7.monthly_overtime", "M7.part_time_hours")
#: district and occupation in one key; '' where the alert does not know one (the page's —)
GROUP = "coalesce(r.district, '') || '|' || coalesce(r.occupation, '')"
MONTH = "to_char(r.first_observed_at at time zone 'Asia/Shanghai', 'YYYY-MM')"
AMOUNT = "coalesce((r.evidence -> -1 -> 'evidence' ->> 'arrears_fen')::bigint, 0)"

# (scope, dimension, key, value, counted when) over an alert `r`.
COUNTERS: list[tuple[str, str, str, str, str]] = [
    (f"'{SCOPE}'", "arrears_cases", GROUP, "1", ARREARS),
    (f"'{SCOPE}'", "arrears_fen", GROUP, AMOUNT, ARREARS),
    (f"'{SCOPE}'", "arrears_cases_by_month", MONTH, "1", ARREARS),
    (f"'{SCOPE}'", "arrears_fen_by_month", MONTH, AMOUNT, ARREARS),
    (f"'{SCOPE}'", "working_time_breaches", "r.rule", "1", WORKING_TIME),
    # per worker (key): their alerts in the group; the crossing trigger counts the workers
    (f"'{SCOPE}:arrears:' || {GROUP}", "arrears_alerts_of_worker", "r.worker_id", "1", ARREARS),
    (
        f"'{SCOPE}'",
        "limit_alerts_of_worker",
        "r.worker_id",
        "1",
        f"{WORKING_TIME} and r.rule in ({', '.join(repr(rule) for rule in LIMIT_RULES)})",
    ),
]
#: per-worker dimension -> (the distinct workers' dimension, its key from the per-worker row's scope `c.scope`)
WORKER_COUNTS = {
    "arrears_alerts_of_worker": ("arrears_workers", f"substr(c.scope, {len(SCOPE) + len(':arrears:') + 1})"),
    "limit_alerts_of_worker": ("workers_over_limits", "''"),
}
TRIGGERS = tuple(f"count_wage_alert_figures_{suffix}" for suffix in ("ins", "upd", "del"))


def contributions(source: str, sign: int) -> str:
    return " union all ".join(
        f"select {scope} as scope, '{dimension}' as dimension, {key} as key, {sign} * {value} as n "
        f"from {source} r where ({when}) and {key} is not null"
        for scope, dimension, key, value, when in COUNTERS
    )


def apply(rows_sql: str) -> str:
    """Add the contributions to read_counters (a group whose amount nets to zero but whose cases do not still
    has its amount row: every key is written where its sum is not zero)."""
    return (
        f"insert into read_counters (scope, dimension, key, n) select scope, dimension, key, sum(n) "
        f"from ({rows_sql}) c group by scope, dimension, key having sum(n) <> 0 "
        f"on conflict (scope, dimension, key) do update set n = read_counters.n + excluded.n;"
    )


def _crossings(changed: str) -> str:
    """The distinct-worker figures moved by per-worker counters crossing zero in `changed`
    (scope, dimension, key, was_counted, now_counted)."""
    dimension = "case c.dimension " + " ".join(f"when '{d}' then '{w}'" for d, (w, _) in WORKER_COUNTS.items()) + " end"
    key = "case c.dimension " + " ".join(f"when '{d}' then {k}" for d, (_, k) in WORKER_COUNTS.items()) + " end"
    return (
        f"insert into read_counters (scope, dimension, key, n) "
        f"select '{SCOPE}', {dimension}, {key}, sum(case when c.now_counted then 1 else -1 end) "
        f"from ({changed}) c where c.was_counted <> c.now_counted group by 2, 3 having "
        f"sum(case when c.now_counted then 1 else -1 end) <> 0 "
        f"on conflict (scope, dimension, key) do update set n = read_counters.n + excluded.n;"
    )


def upgrade() -> None:
    op.execute(f"""
        create function count_wage_alert_figures() returns trigger language plpgsql as $$
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
    for trigger, (event, tables) in zip(
        TRIGGERS,
        (
            ("insert", "new table as new_rows"),
            ("update", "old table as old_rows new table as new_rows"),
            ("delete", "old table as old_rows"),
        ),
        strict=True,
    ):
        op.execute(
            f"create trigger {trigger} after {event} on alerts referencing {tables} "
            f"for each statement execute function count_wage_alert_figures()"
        )
    per_worker = "(" + ", ".join(f"'{d}'" for d in WORKER_COUNTS) + ")"
    inserted = (
        f"select scope, dimension, key, false as was_counted, n > 0 as now_counted from new_rows "
        f"where dimension in {per_worker}"
    )
    updated = (
        f"select o.scope, o.dimension, o.key, o.n > 0 as was_counted, w.n > 0 as now_counted "
        f"from old_rows o join new_rows w using (scope, dimension, key) where o.dimension in {per_worker}"
    )
    op.execute(f"""
        create function count_wage_alert_workers() returns trigger language plpgsql as $$
        begin
          if not exists (select 1 from new_rows where dimension in {per_worker}) then
            return null;  -- its own write (and every other counter) ends here
          end if;
          if tg_op = 'INSERT' then
            {_crossings(inserted)}
          else
            {_crossings(updated)}
          end if;
          return null;
        end $$""")
    op.execute(
        "create trigger count_wage_alert_workers_ins after insert on read_counters "
        "referencing new table as new_rows for each statement execute function count_wage_alert_workers()"
    )
    op.execute(
        "create trigger count_wage_alert_workers_upd after update on read_counters referencing old table as "
        "old_rows new table as new_rows for each statement execute function count_wage_alert_workers()"
    )
    op.execute(apply(contributions("alerts", 1)))  # what is already there


def downgrade() -> None:
    for trigger in TRIGGERS:
        op.execute(f"drop trigger {trigger} on alerts")
    op.execute("drop function count_wage_alert_figures()")
    op.execute("drop trigger count_wage_alert_workers_ins on read_counters")
    op.execute("drop trigger count_wage_alert_workers_upd on read_counters")
    op.execute("drop function count_wage_alert_workers()")
    dimensions = [d for _, d, *_ in COUNTERS] + [w for w, _ in WORKER_COUNTS.values()]
    op.execute(
        f"delete from read_counters where (scope = '{SCOPE}' or scope like '{SCOPE}:%') "
        f"and dimension in ({', '.join(repr(d) for d in dimensions)})"
    )
