"""The wages lines straight from the event log, one statement per step (`__init__.py` says what they equal).

A line's columns come out of the event's JSON with `jsonb_to_recordset` (typed as the table's columns),
`with ordinality` keeping its place in the event: a later line — by (event time, seq, place: the order
the rebuild streams the other types in) — replaces an earlier one, as the projection's fold does (its
dict, then its upserts, keep the last).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.db import driver_connection

ACCEPTED = "wages.statements.accepted.v1"
JUDGED = "wages.statements.judged.v1"
SESSIONS = "wages.sessions.accepted.v1"

#: A statement line's fields (`projection.StatementLine`), typed as wage_statements' columns.
LINE_TYPES = (
    "line_id text, statement_id text, worker_id text, contract_id text, period_start date, period_end date, "
    "due_date date, gross_fen bigint, net_due_fen bigint, paid_fen bigint, paid_on date, worked_minutes bigint, "
    "status text, occupation text, district text, enterprise_id text, minimum_wage_met boolean, rules_broken jsonb"
)


def lines_of(types: str) -> str:
    """`cross join lateral` this after `events(...)` as `e`: each line of the event as `x`, its place in the
    event `x.ord`."""
    names = ", ".join(c.split()[0] for c in types.split(", "))
    return f"rows from (jsonb_to_recordset(e.lines) as ({types})) with ordinality as x({names}, ord)"


def events(event_type: str) -> str:
    """The events of a type with their lines taken out of `data` once per event (`offset 0` keeps the
    subquery apart: pulled up, each line's `e.data->>…` would detoast the whole event again — 1,000 times)."""
    return (
        "(select seq, time, data->>'platform_id' as platform_id, data->>'batch_id' as batch_id, "
        f"data->'lines' as lines from event_log where type = '{event_type}' offset 0)"
    )


#: The columns a judged line writes (all but the statement's id, batch and first report: wages' repository).
JUDGED_COLUMNS = (
    "line_id, platform_id, worker_id, contract_id, enterprise_id, period_start, period_end, due_date, gross_fen, "
    "net_due_fen, paid_fen, paid_on, worked_minutes, status, occupation, district, minimum_wage_met, rules_broken"
)


def _lines(event_type: str) -> str:
    return (
        "select e.seq, x.ord, e.time, e.platform_id, e.batch_id, "
        "x.line_id, x.statement_id, x.worker_id, x.contract_id, x.period_start, x.period_end, x.due_date, "
        "x.gross_fen, x.net_due_fen, x.paid_fen, x.paid_on, x.worked_minutes, x.status, x.occupation, x.district, "
        "x.enterprise_id, x.minimum_wage_met, coalesce(x.rules_broken, '[]'::jsonb) as rules_broken "
        f"from {events(event_type)} e cross join lateral {lines_of(LINE_TYPES)}"
    )


# Judged lines are few (pending statements judged later): kept aside, with the last accepted place of
# each of their statements, to decide which judgement came after the statement's last acceptance.
_JUDGED_ASIDE = f"create temporary table wages_judged_lines on commit drop as {_lines(JUDGED)}"
_ACCEPTED_ASIDE = (
    "create temporary table wages_last_accepted "
    "(statement_id text primary key, time timestamptz, seq bigint, ord bigint) on commit drop"
)

_STATEMENTS = f"""
with last_accepted as materialized (
    select distinct on (statement_id) * from ({_lines(ACCEPTED)}) l order by statement_id, time desc, seq desc, ord desc
), stored as (
    insert into wage_statements (statement_id, batch_id, reported_at, {JUDGED_COLUMNS})
    select statement_id, batch_id, time, {JUDGED_COLUMNS} from last_accepted returning 1
), aside as (
    insert into wages_last_accepted
    select statement_id, time, seq, ord from last_accepted
    where statement_id in (select statement_id from wages_judged_lines)
)
select count(*) from stored
"""

_LAST_JUDGED = (
    "select distinct on (statement_id) * from wages_judged_lines order by statement_id, time desc, seq desc, ord desc"
)
_SETS = ", ".join(f"{c} = j.{c}" for c in JUDGED_COLUMNS.split(", "))

# A judgement after the statement's last acceptance replaces the line but its batch and first report.
_JUDGED_AFTER_ACCEPTED = f"""
update wage_statements w set {_SETS}
from ({_LAST_JUDGED}) j join wages_last_accepted a using (statement_id)
where w.statement_id = j.statement_id and (j.time, j.seq, j.ord) > (a.time, a.seq, a.ord)
"""

# A statement only judged: its first judgement made the row (no batch), the last one is its line.
_JUDGED_ONLY = f"""
insert into wage_statements (statement_id, batch_id, reported_at, {JUDGED_COLUMNS})
select j.statement_id, null, f.time, {", ".join(f"j.{c}" for c in JUDGED_COLUMNS.split(", "))}
from ({_LAST_JUDGED}) j
join (select distinct on (statement_id) statement_id, time from wages_judged_lines
      order by statement_id, time, seq, ord) f using (statement_id)
where not exists (select 1 from wage_statements w where w.statement_id = j.statement_id)
"""

SESSION_TYPES = "session_id text, worker_id text, work_date date, working_minutes int, orders_completed int, post text"
_SESSIONS = f"""
insert into wage_work_sessions (session_id, platform_id, worker_id, work_date, working_minutes, orders_completed, post)
select distinct on (x.session_id) x.session_id, e.platform_id, x.worker_id, x.work_date, x.working_minutes,
       x.orders_completed, x.post
from {events(SESSIONS)} e cross join lateral {lines_of(SESSION_TYPES)}
order by x.session_id, e.time desc, e.seq desc, x.ord desc
"""


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def project_statements(session: AsyncSession) -> int:
    """Statements (accepted, then judged) from the log; returns the rows written."""
    conn = await driver_connection(session)
    await conn.execute(_JUDGED_ASIDE)
    await conn.execute(_ACCEPTED_ASIDE)
    await conn.execute("analyze wages_judged_lines")
    written = int(await conn.fetchval(_STATEMENTS))
    await conn.execute(_JUDGED_AFTER_ACCEPTED)
    return written + _count(await conn.execute(_JUDGED_ONLY))


async def project_sessions(session: AsyncSession) -> int:
    """Work sessions from the log; returns the rows written."""
    return _count(await (await driver_connection(session)).execute(_SESSIONS))
