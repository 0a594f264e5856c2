"""A synthetic province, written straight into the gateway's event log by set-based SQL (issue 25).

`fill(dsn, workers)` writes the history the services would have published for `workers` platform
workers over the 12 months before the current one, on 40 platforms, across the districts and
occupations of the vocabulary — as the events themselves (the shapes the gateway's projections
read), so that `newform gateway rebuild --from-log` turns it into read models exactly as it would a
real history:

| events | per worker | facts at 1,000,000 workers |
|---|---|---|
| `contracts.worker.registered.v1` | 1 | 1,000,000 |
| `contracts.contract.drafted.v1`, `…signed.v1` (9 in 10 signed) | 1.9 | 1,900,000 |
| `wages.statements.accepted.v1`: a statement per month, 1,000 lines per event | 12 | 12,000,000 |
| `wages.sessions.accepted.v1`: three work sessions a month, 1,000 lines per event | 36 | 36,000,000 |
| `*.finding.raised.v1` (one worker in five), and its resolution if older than 20 days | ≈ 0.39 | ≈ 390,000 |
| `wages.statements.totals.v1`: a month's totals per platform (aggregates, not facts) | — | — |

— about 51 facts per worker. A fact is one statement line, one session, one registration…: what the
services judge and the gateway projects one by one. Wages publishes lines in events of 1,000, as it
does for real (its events.py says why), so the log holds far fewer envelopes than facts; the
benchmark reports both. Every figure is deterministic in the worker's number (no randomness: two
runs fill the same province). Platform `p_7` and worker `w_77` exist at every size (the pages'
examples).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from newform_common import vocabulary
from newform_gateway.alerts import routing

PLATFORMS = 40
MONTHS = 12
LINES_PER_EVENT = 1000
SESSIONS_PER_MONTH = 3

#: The findings the province raises: (service, measure, rule, severity, summary, subject type, outcome
#: the lead department decides). Worker i raises finding kind (i / 5) % 4 when i % 5 = 0.
FINDINGS = (
    ("contracts", "M9", "M9.work_injury_insurance", "high", "未参加职业伤害保障", "contract", "warned"),
    ("wages", "M6", "M6.minimum_wage", "high", "工资低于最低工资标准", "statement", "dismissed"),
    ("wages", "M7", "M7.daily_hours", "medium", "日工作时间超过上限", "worker", "dismissed"),
    ("wages", "M6", "M6.wage_arrears", "high", "拖欠工资", "statement", "confirmed"),
)
#: Findings less than this old are still being handled; the older ones are resolved (departments work
#: their backlog, so open alerts do not grow with the history).
HANDLING_DAYS = 20


@dataclass(frozen=True)
class Filled:
    workers: int
    events: int
    facts: int
    seconds: float


def months_before(today: date, months: int = MONTHS) -> date:
    """The first day of the first of the `months` whole months before `today`'s month."""
    y, m = today.year, today.month - months
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def _array(values: list[str]) -> str:
    return "array[" + ",".join(f"'{v}'" for v in values) + "]"


def _common_sql() -> dict[str, str]:
    """SQL fragments every statement uses: the worker's platform, district, occupation."""
    districts, occupations = list(vocabulary.districts()), list(vocabulary.occupations())
    return {
        "p": f"'p_' || (i % {PLATFORMS})",
        "d": f"({_array(districts)})[1 + (i / {PLATFORMS}) % {len(districts)}]",
        "o": f"({_array(occupations)})[1 + (i / {PLATFORMS * len(districts)}) % {len(occupations)}]",
        "et": "(array['labor_contract','work_agreement','work_agreement','work_agreement','civil'])[1 + i % 5]",
    }


LOG_COLUMNS = (
    'event_id, type, source, service, subject, key, time, data, worker_id, platform_id, topic, partition, "offset"'
)


def _enterprises(start: date) -> str:
    districts = list(vocabulary.districts())
    return f"""
insert into event_log ({LOG_COLUMNS})
select 'e_ent_' || p, 'contracts.enterprise.registered.v1', '/newform/contracts', 'contracts', 'p_' || p, 'p_' || p,
       timestamptz '{start.isoformat()} 00:00+08', jsonb_build_object(
         'enterprise_id', 'p_' || p, 'name', '平台企业' || p, 'kind', 'platform', 'platform_id', 'p_' || p,
         'credit_code', '916301' || lpad(p::text, 11, '0') || 'X', 'district', ({_array(districts)})[1 + p % 7],
         'occupations', jsonb_build_array('food_delivery', 'courier'), 'dispatch_licence_valid_until', null,
         'qualified', true, 'registered_at', timestamptz '{start.isoformat()} 00:00+08'),
       null, 'p_' || p, 'contracts.events', p % 3, nextval('bench_offsets')
from generate_series(0, {PLATFORMS - 1}) p"""


def _workers(start: date, workers: int) -> list[str]:
    """Registration, contract drafted, and signed (9 in 10), each worker in the first 28 days of month 0."""
    c = _common_sql()
    at = f"(timestamptz '{start.isoformat()} 09:00+08' + (i % 28) * interval '1 day' + (i % 600) * interval '1 minute')"
    series = f"generate_series(1, {workers}) i"
    return [
        f"""insert into event_log ({LOG_COLUMNS})
select 'e_reg_' || i, 'contracts.worker.registered.v1', '/newform/contracts', 'contracts', 'w_' || i, 'w_' || i, {at},
       jsonb_build_object('worker_id', 'w_' || i, 'registration_id', 'r_' || i, 'platform_id', {c["p"]},
         'occupation', {c["o"]}, 'residence_district', {c["d"]}, 'household_registration_region', '630102',
         'registered_at', {at}),
       'w_' || i, {c["p"]}, 'contracts.events', i % 3, nextval('bench_offsets')
from {series}""",
        f"""insert into event_log ({LOG_COLUMNS})
select 'e_dr_' || i, 'contracts.contract.drafted.v1', '/newform/contracts', 'contracts', 'c_' || i, 'w_' || i,
       {at} + interval '1 minute',
       jsonb_build_object('contract_id', 'c_' || i, 'worker_id', 'w_' || i, 'platform_id', {c["p"]},
         'enterprise_id', {c["p"]}, 'engagement_type', {c["et"]}, 'part_time', false, 'occupation', {c["o"]},
         'district', {c["d"]}, 'start_date', ({at})::date, 'end_date', null, 'pay_period', 'month',
         'insurance', jsonb_build_object('work_injury', i % 4 <> 0, 'occupational_injury', i % 4 = 0 and i % 8 = 0,
                                         'accident', true),
         'drafted_at', {at} + interval '1 minute'),
       'w_' || i, {c["p"]}, 'contracts.events', i % 3, nextval('bench_offsets')
from {series}""",
        f"""insert into event_log ({LOG_COLUMNS})
select 'e_sg_' || i, 'contracts.contract.signed.v1', '/newform/contracts', 'contracts', 'c_' || i, 'w_' || i,
       {at} + interval '1 day',
       jsonb_build_object('contract_id', 'c_' || i, 'worker_id', 'w_' || i, 'platform_id', {c["p"]},
         'enterprise_id', {c["p"]}, 'engagement_type', {c["et"]}, 'at', {at} + interval '1 day',
         'document_sha256', md5('c_' || i) || md5('doc' || i)),
       'w_' || i, {c["p"]}, 'contracts.events', i % 3, nextval('bench_offsets')
from {series} where i % 10 <> 0""",
    ]


def _statements(month_start: date, m: int, workers: int) -> str:
    """Month m's statements: one line per worker, reported on the 3rd of the next month in events of
    1,000 lines per platform. One worker in 50 is not paid for the last month (arrears); one in 100 is
    below the minimum wage."""
    c = _common_sql()
    period_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    due = period_end + timedelta(days=15)
    unpaid = f"(i % 50 = 7 and {m} = {MONTHS - 1})"
    line = f"""jsonb_build_object(
         'line_id', 'l_' || i || '_{m}', 'statement_id', 'st_' || i || '_{m}', 'worker_id', 'w_' || i,
         'contract_id', 'c_' || i, 'period_start', '{month_start}', 'period_end', '{period_end}', 'due_date', '{due}',
         'gross_fen', 380000 + (i::bigint * 7919) % 200000, 'net_due_fen', 342000 + (i::bigint * 7919) % 180000,
         'paid_fen', case when {unpaid} then 0 else 342000 + (i::bigint * 7919) % 180000 end,
         'paid_on', case when {unpaid} then null else '{due - timedelta(days=1)}' end,
         'worked_minutes', 9000 + (i * 13) % 4000, 'status', 'judged', 'occupation', {c["o"]}, 'district', {c["d"]},
         'enterprise_id', {c["p"]}, 'minimum_wage_met', i % 100 <> 3,
         'rules_broken', case when i % 100 = 3 then '["M6.minimum_wage"]'::jsonb else '[]'::jsonb end)"""
    reported = f"timestamptz '{period_end + timedelta(days=3)} 10:00+08' + (i % {PLATFORMS}) * interval '1 minute'"
    return f"""insert into event_log ({LOG_COLUMNS})
select 'e_st_{m}_' || pl || '_' || chunk, 'wages.statements.accepted.v1', '/newform/wages', 'wages', 'p_' || pl,
       'p_' || pl, min(reported_at),
       jsonb_build_object('batch_id', 'b_{m}_' || pl || '_' || chunk, 'platform_id', 'p_' || pl,
                          'lines', jsonb_agg(line)),
       null, 'p_' || pl, 'wages.events', pl % 3, nextval('bench_offsets')
from (select i % {PLATFORMS} pl, i / ({PLATFORMS} * {LINES_PER_EVENT}) chunk, {reported} as reported_at,
             {line} as line
      from generate_series(1, {workers}) i) s
group by pl, chunk"""


def _statement_totals(month_start: date, m: int, workers: int) -> str:
    """Month m's `wages.statements.totals.v1`, one per platform after its statement events: the groups
    wages' statements/totals.py publishes for those lines (an aggregate, not a fact)."""
    c = _common_sql()
    period_end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    unpaid = f"(i % 50 = 7 and {m} = {MONTHS - 1})"
    net = "342000 + (i::bigint * 7919) % 180000"
    reported = f"timestamptz '{period_end + timedelta(days=3)} 10:00+08' + {PLATFORMS - 1} * interval '1 minute'"
    return f"""insert into event_log ({LOG_COLUMNS})
select 'e_stt_{m}_' || pl, 'wages.statements.totals.v1', '/newform/wages', 'wages', 'p_' || pl, 'p_' || pl,
       {reported} + interval '1 second',
       jsonb_build_object('platform_id', 'p_' || pl, 'cause', 'accepted', 'batch_id', 'b_{m}_' || pl,
                          'groups', jsonb_agg(g order by d, o)),
       null, 'p_' || pl, 'wages.events', pl % 3, nextval('bench_offsets')
from (
  select pl, d, o, jsonb_build_object('month', '{period_end:%Y-%m}', 'district', d, 'occupation', o,
      'statements', count(*), 'judged', count(*), 'pending', 0,
      'minimum_wage_met', count(*) filter (where met), 'below_minimum', count(*) filter (where not met),
      'paid_on_time', count(*) filter (where not unpaid), 'unpaid', count(*) filter (where unpaid), 'late', 0,
      'with_breaches', count(*) filter (where not met), 'compliant', count(*) filter (where met and not unpaid),
      'gross_fen', sum(gross), 'net_due_fen', sum(net), 'paid_fen', sum(paid), 'worked_minutes', sum(minutes)) g
  from (select i % {PLATFORMS} pl, {c["d"]} d, {c["o"]} o, {unpaid} unpaid, i % 100 <> 3 met,
               380000 + (i::bigint * 7919) % 200000 gross, {net} net, case when {unpaid} then 0 else {net} end paid,
               9000 + (i * 13) % 4000 minutes
        from generate_series(1, {workers}) i) s
  group by pl, d, o) t
group by pl"""


def _sessions(month_start: date, m: int, k: int, workers: int) -> str:
    """Month m's k-th work session of every worker (days 3, 13, 23), reported that night."""
    work_date = month_start + timedelta(days=2 + 10 * k)
    line = f"""jsonb_build_object('session_id', 's_' || i || '_{m}_{k}', 'worker_id', 'w_' || i,
         'work_date', '{work_date}', 'working_minutes', 300 + (i * {k + 7}) % 400,
         'orders_completed', 10 + (i + {k}) % 30, 'post', null)"""
    return f"""insert into event_log ({LOG_COLUMNS})
select 'e_ss_{m}_{k}_' || pl || '_' || chunk, 'wages.sessions.accepted.v1', '/newform/wages', 'wages', 'p_' || pl,
       'p_' || pl, timestamptz '{work_date} 23:00+08' + pl * interval '1 second',
       jsonb_build_object('platform_id', 'p_' || pl, 'lines', jsonb_agg(line)),
       null, 'p_' || pl, 'wages.events', pl % 3, nextval('bench_offsets')
from (select i % {PLATFORMS} pl, i / ({PLATFORMS} * {LINES_PER_EVENT}) chunk, {line} as line
      from generate_series(1, {workers}) i) s
group by pl, chunk"""


def _evidence(rule: str, at: str) -> str:
    """A finding's evidence: an amount; for arrears what wages publishes — one in ten owed by a related unit
    (a labour-service company the platform works with: its credit code, the contract and the pay period),
    whose confirmed arrears become a credit record (M6, 宁政办〔2022〕41号 item 6)."""
    if rule != "M6.wage_arrears":
        return "jsonb_build_object('amount_fen', 100000 + i % 5000)"
    return f"""jsonb_build_object('arrears_fen', 100000 + i % 5000, 'contract_id', 'c_' || i,
           'period_start', to_char({at} - interval '1 month', 'YYYY-MM-DD'),
           'period_end', to_char({at} - interval '1 day', 'YYYY-MM-DD'), 'due_date', to_char({at}, 'YYYY-MM-DD'))
         || case when (i / 20) % 10 = 0 then jsonb_build_object('related_unit_id', 'ru_' || (i % 400),
              'credit_code', '91630100MA7' || lpad((i % 400)::text, 7, '0'), 'unit_name', '劳务公司' || (i % 400))
            else '{{}}'::jsonb end"""


def _finding_kind(kind: int) -> str:
    return f"(i / 5) % {len(FINDINGS)} = {kind}"


def _findings(start: date, now: datetime, workers: int) -> list[str]:
    """One worker in five raises a finding at some day of the 12 months; the lead department resolves
    those older than `HANDLING_DAYS` 3 to 15 days after."""
    c = _common_sql()
    at = f"(timestamptz '{start.isoformat()} 10:00+08' + ((i / 5) * 7 % (365 - 28) + 28) * interval '1 day')"
    statements = []
    districts = list(vocabulary.districts())
    for kind, (service, measure, rule, severity, summary, subject_type, outcome) in enumerate(FINDINGS):
        subject = {"contract": "'c_' || i", "statement": "'st_' || i || '_0'", "worker": "'w_' || i"}[subject_type]
        statements.append(f"""insert into event_log ({LOG_COLUMNS})
select 'e_f_' || i, '{service}.finding.raised.v1', '/newform/{service}', '{service}', {subject}, 'w_' || i, {at},
       jsonb_build_object('finding_id', 'f_' || i, 'measure', '{measure}', 'rule', '{rule}', 'severity', '{severity}',
         'summary', '{summary}', 'subject_type', '{subject_type}', 'subject_id', {subject}, 'platform_id', {c["p"]},
         'enterprise_id', {c["p"]}, 'worker_id', 'w_' || i, 'occupation', {c["o"]}, 'district', {c["d"]},
         'evidence', {_evidence(rule, at)}, 'observed_at', {at}),
       'w_' || i, {c["p"]}, '{service}.events', i % 3, nextval('bench_offsets')
from generate_series(5, {workers}, 5) i where {_finding_kind(kind)}""")
        # the lead department per district (a district government leads some measures)
        leads = [routing.lead_department(measure, district=d, on=start) or "hrss" for d in districts]
        decided = f"{at} + (3 + i % 13) * interval '1 day'"
        statements.append(f"""insert into event_log ({LOG_COLUMNS})
select 'e_r_' || i, 'gateway.alert.resolved.v1', '/newform/gateway', 'gateway', 'alr_f_' || i, 'alr_f_' || i,
       {decided},
       jsonb_build_object('alert_id', 'alr_f_' || i, 'actor', 'officer', 'actor_role', 'department',
         'actor_department', ({_array(leads)})[1 + (i / {PLATFORMS}) % {len(districts)}], 'note', null,
         'at', {decided}, 'outcome', '{outcome}'),
       null, null, 'gateway.events', 0, nextval('bench_offsets')
from generate_series(5, {workers}, 5) i
where {_finding_kind(kind)} and {at} < timestamptz '{now.isoformat()}' - interval '{HANDLING_DAYS} days'""")
    return statements


def statements_for(workers: int, today: date, now: datetime) -> tuple[list[str], list[str]]:
    """(the statements that must run first, in order; the bulk ones that may run side by side)."""
    start = months_before(today)
    first = ["create sequence if not exists bench_offsets", _enterprises(start), *_workers(start, workers)]
    bulk: list[str] = []
    month_start = start
    for m in range(MONTHS):
        bulk.append(_statements(month_start, m, workers))
        bulk.append(_statement_totals(month_start, m, workers))
        bulk.extend(_sessions(month_start, m, k, workers) for k in range(SESSIONS_PER_MONTH))
        month_start = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    bulk.extend(_findings(start, now, workers))
    return first, bulk


async def fill(dsn: str, workers: int, *, parallel: int = 2, now: datetime | None = None) -> Filled:
    """Write the province into the event log of the (migrated, empty) gateway database at `dsn`;
    `parallel` connections share the bulk statements (one per core)."""
    now = now or datetime.now(UTC)
    first, bulk = statements_for(workers, now.date(), now)
    started = asyncio.get_running_loop().time()
    conn = await asyncpg.connect(dsn)
    try:
        for sql in first:
            await conn.execute(sql)
    finally:
        await conn.close()
    queue = list(bulk)

    async def worker() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("set synchronous_commit = off")
            while queue:
                await conn.execute(queue.pop(0))
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(parallel)))
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("analyze event_log")
        events = await conn.fetchval("select count(*) from event_log")
        lines = await conn.fetchval(
            "select coalesce(sum(jsonb_array_length(data->'lines')), 0) from event_log where data ? 'lines'"
        )
        singles = await conn.fetchval(
            "select count(*) from event_log where not data ? 'lines' and type <> 'wages.statements.totals.v1'"
        )
    finally:
        await conn.close()
    return Filled(workers, events, lines + singles, asyncio.get_running_loop().time() - started)
