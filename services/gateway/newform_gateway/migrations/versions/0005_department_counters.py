"""The regulator's lists and the departments' overview at province scale (issue 25): alert counters per
department (and per platform) kept by statement-level triggers beside 0004's (read_counters), and the
indexes the alert list and the credit records page by.

Counters (read_counters rows; scope 'department:<key>' is one department's view, `county:<district>` for a
district's government; an alert counts for every department it is routed to, `alerts.departments`, which is
what `alert_routes` holds):
- `department:<key>` / `alerts_by_measure` / measure, `alerts_by_status` / status — the overview's alert
  charts for a department token (the city's are 0004's `alerts_by_measure`, `alerts_by_status`);
- '' / `open_alerts_by_department` / department key — the overview's 按部门统计待办预警, unresolved alerts;
- `<platform_id>` / `open_alerts` / '' — a platform's unresolved alerts (the platform list's open findings);
- `warning:<warning_id>` / `m8_findings` / rule — the M8 findings naming a bad-weather warning (`/v1/weather-warnings`
  and the 恶劣天气 page), read per warning instead of expanding every M8 alert's evidence.
A rebuild suspends these triggers as it does 0004's and counts once at the end (`repository.suspend_counting`,
`count_all`): counting as the replay writes would update one counter row thousands of times per transaction.

Revision ID: 0005_department_counters
Revises: 0004_read_counters
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_department_counters"
down_revision: str | None = "0004_read_counters"
branch_labels: str | Sequence[str] | None = None
#: The tables of other branches it indexes: the disputes and unions read models.
depends_on: str | Sequence[str] | None = ("gw_disputes_0001", "gw_unions_0001")

# (scope, dimension, key, counted when) over an alert `r` and one department `d` it is routed to.
COUNTERS: list[tuple[str, str, str, str]] = [
    ("'department:' || d", "alerts_by_measure", "r.measure", "true"),
    ("'department:' || d", "alerts_by_status", "r.status", "true"),
    ("''", "open_alerts_by_department", "d", "r.status <> 'resolved'"),
]
# (scope, dimension, key, counted when) over an alert `r`, once: a platform's unresolved alerts (the platform
# list's open findings).
ALERT_COUNTERS: list[tuple[str, str, str, str]] = [
    ("r.platform_id", "open_alerts", "''", "r.status <> 'resolved' and r.platform_id is not null"),
]

#: Indexes, each for the page it serves (`GET /v1/alerts` and `/alerts` filter by one of these columns and
#: page newest first by (raised_at, alert_id): the planner walks the most selective filter's index in page
#: order instead of every alert since the first; a filter that matches nothing reads that filter's rows,
#: not the table). `ix_alerts_departments` (GIN): a department's view and the `department` filter (`@>`),
#: which the planner combines with the others. `ix_alerts_unresolved_due`: the overview's overdue count reads
#: unresolved alerts only.
#: `ix_credit_records_page(_platform)`: `GET /v1/credit-records` pages by (confirmed_at, record_id);
#: `ix_unions_subjects_platform_page`: `GET /v1/unions/subjects?platform_id` by subject; `ix_webhook_deliveries_page`:
#: `GET /v1/webhooks/{id}/deliveries` newest first by id, one webhook's; `ix_dispute_legal_aid_page`:
#: `GET /v1/disputes/legal-aid` newest first by (requested_at, case_id).
INDEXES: dict[str, tuple[str, str, str]] = {
    "ix_alerts_measure_raised": ("alerts", "measure, raised_at, alert_id", ""),
    "ix_alerts_status_raised": ("alerts", "status, raised_at, alert_id", ""),
    "ix_alerts_district_raised": ("alerts", "district, raised_at, alert_id", ""),
    "ix_alerts_platform_raised": ("alerts", "platform_id, raised_at, alert_id", ""),
    "ix_alerts_unresolved_due": ("alerts", "due_at", "where status <> 'resolved'"),
    "ix_alerts_departments": ("alerts", "departments jsonb_path_ops", ""),
    "ix_credit_records_page": ("credit_records", "confirmed_at, record_id", ""),
    "ix_credit_records_page_platform": ("credit_records", "platform_id, confirmed_at, record_id", ""),
    "ix_unions_subjects_platform_page": ("unions_subjects", "platform_id, subject", ""),
    "ix_webhook_deliveries_page": ("webhook_deliveries", "webhook_id, id", ""),
    "ix_dispute_legal_aid_page": ("dispute_legal_aid", "requested_at, case_id", ""),
}


# (scope, dimension, key, counted when) over an M8 alert `r`, one finding of it (an evidence entry) and one
# warning `w` that finding names: as `warning_id` (contracts' response findings, wages' work during a red
# warning) or among `warnings` (wages' penalties during a warning) — the weather page's findings per warning.
WARNING_COUNTERS: list[tuple[str, str, str, str]] = [
    ("'warning:' || w", "m8_findings", "r.rule", "r.measure = 'M8'"),
]
NAMED_WARNINGS = """cross join lateral jsonb_array_elements(r.evidence) as finding(e) cross join lateral (
    select e->'evidence'->>'warning_id' as w
    union
    select x->>'warning_id' from jsonb_array_elements(
        case when jsonb_typeof(e->'evidence'->'warnings') = 'array' then e->'evidence'->'warnings' else '[]'::jsonb end
    ) x) as named"""


def contributions(source: str, sign: int) -> str:
    routed = f"{source} r cross join lateral jsonb_array_elements_text(r.departments) as routed(d)"
    sources = ((routed, COUNTERS), (f"{source} r", ALERT_COUNTERS), (f"{source} r {NAMED_WARNINGS}", WARNING_COUNTERS))
    return " union all ".join(
        f"select {scope} as scope, '{dimension}' as dimension, {key} as key, {sign} as n "
        f"from {rows} where ({when}) and {key} is not null" + (" and w is not null" if rows.endswith("named") else "")
        for rows, counters in sources
        for scope, dimension, key, when in counters
    )


def apply(rows_sql: str) -> str:
    return (
        f"insert into read_counters (scope, dimension, key, n) select scope, dimension, key, sum(n) "
        f"from ({rows_sql}) c group by scope, dimension, key having sum(n) <> 0 "
        f"on conflict (scope, dimension, key) do update set n = read_counters.n + excluded.n;"
    )


def upgrade() -> None:
    op.execute(f"""
        create function count_alerts_by_department() returns trigger language plpgsql as $$
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
    for suffix, event, tables in (
        ("ins", "insert", "new table as new_rows"),
        ("upd", "update", "old table as old_rows new table as new_rows"),
        ("del", "delete", "old table as old_rows"),
    ):
        op.execute(
            f"create trigger count_alerts_by_department_{suffix} after {event} on alerts referencing {tables} "
            f"for each statement execute function count_alerts_by_department()"
        )
    op.execute(apply(contributions("alerts", 1)))  # what is already there
    for name, (table, columns, where) in INDEXES.items():
        using = "using gin " if "jsonb_path_ops" in columns else ""
        op.execute(f"create index {name} on {table} {using}({columns}) {where}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"drop index {name}")
    for suffix in ("ins", "upd", "del"):
        op.execute(f"drop trigger count_alerts_by_department_{suffix} on alerts")
    op.execute("drop function count_alerts_by_department()")
    op.execute("delete from read_counters where scope like 'department:%' or dimension = 'open_alerts_by_department'")
