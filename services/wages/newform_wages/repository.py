"""Every query of the wages service: reads and writes of its tables, nothing else.

The intake paths write set-based: one `COPY` per table per batch on the session's own asyncpg
connection (inside the request's transaction), or, when some row exists already, one
`insert … select from unnest(arrays) on conflict do nothing`; never a statement per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.db import driver_connection
from newform_common.locks import lock_keys

STATEMENT_COLUMNS: dict[str, str] = {
    "id": "text",
    "platform_id": "text",
    "line_id": "text",
    "batch_id": "text",
    "contract_id": "text",
    "worker_id": "text",
    "period_start": "date",
    "period_end": "date",
    "due_date": "date",
    "gross_fen": "int8",
    "base_fen": "int8",
    "piece_fen": "int8",
    "piece_orders": "int4",
    "overtime_fen": "int8",
    "rest_day_fen": "int8",
    "holiday_fen": "int8",
    "allowances_fen": "int8",
    "deductions": "jsonb",
    "deductions_fen": "int8",
    "normal_minutes": "int4",
    "overtime_minutes": "int4",
    "rest_day_minutes": "int4",
    "holiday_minutes": "int4",
    "night_minutes": "int4",
    "premium_days": "jsonb",
    "paid_fen": "int8",
    "paid_on": "date",
    "payment_method": "text",
    "status": "text",
    "received_at": "timestamptz",
    "pending_schedule": "jsonb",
}
SESSION_COLUMNS: dict[str, str] = {
    "id": "text",
    "platform_id": "text",
    "line_id": "text",
    "batch_id": "text",
    "worker_id": "text",
    "contract_id": "text",
    "post": "text",
    "started_at": "timestamptz",
    "ended_at": "timestamptz",
    "work_date": "date",
    "working_minutes": "int4",
    "order_minutes": "int4",
    "orders_completed": "int4",
    "received_at": "timestamptz",
}
DEADLINE_COLUMNS: dict[str, str] = {
    "id": "text",
    "kind": "text",
    "subject_id": "text",
    "due_at": "timestamptz",
    "status": "text",
    "data": "jsonb",
    "attempts": "int4",
    "created_at": "timestamptz",
}


def _unnest_insert(table: str, columns: dict[str, str], conflict: str, returning: str | None) -> str:
    names = list(columns)
    arrays = ", ".join(f"${i}::{'text' if t == 'jsonb' else t}[]" for i, t in enumerate(columns.values(), start=1))
    selected = ", ".join(f"u.{n}::jsonb" if t == "jsonb" else f"u.{n}" for n, t in columns.items())
    sql = (
        f"insert into {table} ({', '.join(names)}) select {selected} from unnest({arrays}) "
        f"as u({', '.join(names)}) on conflict {conflict} do nothing"
    )
    return sql + (f" returning {returning}" if returning else "")


async def insert_rows(
    session: AsyncSession,
    table: str,
    columns: dict[str, str],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: str,
    returning: str | None = None,
) -> list[Any]:
    """Insert many rows; rows whose key exists are skipped. Returns `returning` values of the rows inserted.

    A `COPY` first, in a savepoint: in the usual batch no row exists yet, and COPY costs a fifth of the
    `unnest` insert on the client (asyncpg checks every element of an array parameter against the
    collections ABCs, ~7 µs a statement row) and half on the server. A row that exists (a concurrent
    upload of the same lines) fails the COPY: its savepoint is rolled back and the insert skips it.
    """
    if not rows:
        return []
    names = list(columns)
    json_columns = [i for i, kind in enumerate(columns.values()) if kind == "jsonb"]
    records = []
    for row in rows:
        record = [row[name] for name in names]
        for i in json_columns:
            record[i] = orjson.dumps(record[i]).decode()
        records.append(record)
    if not await bulk.copy_unless_stored(session, table, names, records):
        conn = await driver_connection(session)
        sql = _unnest_insert(table, columns, conflict, returning)
        arrays = [list(values) for values in zip(*records, strict=True)]
        if returning:
            return [r[0] for r in await conn.fetch(sql, *arrays)]
        await conn.execute(sql, *arrays)
        return []
    return [row[returning] for row in rows] if returning else []


async def existing_line_ids(session: AsyncSession, table: str, platform_id: str, line_ids: list[str]) -> set[str]:
    if not line_ids:
        return set()
    conn = await driver_connection(session)
    rows = await conn.fetch(
        f"select line_id from {table} where platform_id = $1 and line_id = any($2::text[])", platform_id, line_ids
    )
    return {r[0] for r in rows}


async def engagements(session: AsyncSession, contract_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = list(set(contract_ids))
    if not ids:
        return {}
    conn = await driver_connection(session)
    rows = await conn.fetch("select * from engagements where contract_id = any($1::text[])", ids)
    return {r["contract_id"]: dict(r) for r in rows}


async def related_units(session: AsyncSession, platform_id: str) -> dict[str, dict[str, Any]]:
    rows = await session.execute(text("select * from related_units where platform_id = :p"), {"p": platform_id})
    return {r["enterprise_id"]: dict(r) for r in rows.mappings()}


async def worker_engagement_kinds(session: AsyncSession, worker_ids: Iterable[str]) -> dict[str, set[str]]:
    """Per worker: 'full_time_labour' and/or 'part_time_labour' from their signed labour contracts, and
    'standard_hours' when a full-time one works standard hours (or does not say: the default regime)."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select worker_id, part_time, hours_arrangement from engagements where worker_id = any($1::text[]) "
        "and engagement_type = 'labor_contract' and status = 'signed'",
        list(set(worker_ids)),
    )
    kinds: dict[str, set[str]] = {}
    for r in rows:
        kinds.setdefault(r["worker_id"], set()).add("part_time_labour" if r["part_time"] else "full_time_labour")
        if not r["part_time"] and r["hours_arrangement"] in (None, "standard"):
            kinds[r["worker_id"]].add("standard_hours")
    return kinds


async def arrears_raised(session: AsyncSession, contract_id: str, start: date, end: date) -> str | None:
    """The arrears finding already raised for a debt of this engagement overlapping [start, end], if any
    (one debt is one case, whichever clock noticed it). Callers hold `lock_arrears` for the contract."""
    conn = await driver_connection(session)
    return await conn.fetchval(
        "select id from findings where rule = 'M6.wage_arrears' and evidence ->> 'contract_id' = $1 "
        "and (evidence ->> 'period_start')::date <= $3 and (evidence ->> 'period_end')::date >= $2 limit 1",
        contract_id,
        start,
        end,
    )


async def lock_arrears(session: AsyncSession, contract_ids: Iterable[str]) -> None:
    """Serialise "is this debt's case open?" with opening it, per engagement, until commit."""
    await lock_keys(session, "wages-arrears", sorted(set(contract_ids)))


#: Each session's working minutes cut at Asia/Shanghai midnight, in proportion to its time on each day (a
#: session is at most 24 h, so it touches at most two days): 22:00–06:00 is 2 h on one day and 6 h on the
#: next, a rest day's share counted as rest-day work. Selects worker_id, day, platform_id, minutes.
_SPLIT_BY_DAY = """
    select s.worker_id, d.day::date as day, s.platform_id,
           s.working_minutes * extract(epoch from least(s.end_local, d.day + interval '1 day')
                                                  - greatest(s.start_local, d.day))
             / greatest(extract(epoch from s.end_local - s.start_local), 1) as minutes
    from (select worker_id, platform_id, working_minutes, started_at at time zone 'Asia/Shanghai' as start_local,
                 ended_at at time zone 'Asia/Shanghai' as end_local
          from work_sessions where {where}) as s,
         generate_series(date_trunc('day', s.start_local), s.end_local - interval '1 microsecond',
                         interval '1 day') as d(day)
"""


async def daily_minutes(session: AsyncSession, worker_ids: list[str], start: date, end: date) -> list[dict[str, Any]]:
    """Working minutes per worker, day and platform (every platform: the rules judge the sum), a session
    across midnight counted on each of its days by its time there."""
    conn = await driver_connection(session)
    split = _SPLIT_BY_DAY.format(where="worker_id = any($1::text[]) and work_date between $2::date - 1 and $3")
    rows = await conn.fetch(
        f"select worker_id, day as work_date, platform_id, round(sum(minutes))::int as minutes from ({split}) as x "
        "where day between $2 and $3 group by 1, 2, 3",
        list(set(worker_ids)),
        start,
        end,
    )
    return [dict(r) for r in rows]


async def hours_by_day(
    session: AsyncSession, worker_id: str, start: date, end: date, platform_id: str | None
) -> list[dict[str, Any]]:
    """One worker's working minutes per day and platform in [start, end), split at midnight as above."""
    conn = await driver_connection(session)
    where = "worker_id = $1 and work_date between $2::date - 1 and $3" + (
        " and platform_id = $4" if platform_id else ""
    )
    args = [worker_id, start, end] + ([platform_id] if platform_id else [])
    rows = await conn.fetch(
        f"select day as work_date, platform_id, round(sum(minutes))::int as minutes from "
        f"({_SPLIT_BY_DAY.format(where=where)}) as x where day >= $2 and day < $3 group by 1, 2 order by 1, 2",
        *args,
    )
    return [dict(r) for r in rows]


async def intervals(session: AsyncSession, worker_ids: list[str], start: date, end: date) -> list[dict[str, Any]]:
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select worker_id, work_date, platform_id, started_at, ended_at from work_sessions "
        "where worker_id = any($1::text[]) and work_date between $2 and $3",
        list(set(worker_ids)),
        start,
        end,
    )
    return [dict(r) for r in rows]


async def claim_judgements(session: AsyncSession, keys: list[tuple[str, str, str]], now) -> set[tuple[str, str, str]]:
    """Record (rule, subject, platform) judged; returns the keys new now (a resent fact raises nothing twice)."""
    if not keys:
        return set()
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "insert into judgements (rule, subject_id, platform_id, judged_at) "
        "select u.r, u.s, u.p, $4 from unnest($1::text[], $2::text[], $3::text[]) as u(r, s, p) "
        "on conflict do nothing returning rule, subject_id, platform_id",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        now,
    )
    return {(r[0], r[1], r[2]) for r in rows}


async def lock_platform_months(session: AsyncSession, platform_id: str, months: Iterable[date]) -> None:
    """Serialise the late-share warning of a platform's months (see service.warn_late_share)."""
    await lock_keys(session, "wages-late-share", [f"{platform_id}:{m:%Y-%m}" for m in months])


async def lock_contracts(session: AsyncSession, contract_ids: Iterable[str], *, shared: bool) -> None:
    """Serialise "keep a statement pending" with "the engagement arrives" per contract, until commit.

    Without it, an upload that finds no engagement and the consumer that stores it could commit side by
    side, each not seeing the other's rows: the statement would stay pending for good. Intake takes the
    locks shared (uploads do not wait for each other), the consumer exclusively.
    """
    await lock_keys(session, "wages-engagement", contract_ids, shared=shared)


async def lock_working_time(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Serialise uploads of work sessions per worker (any platform) and per quota's day, until commit.

    Each upload judges what is stored so far — overlaps on the platform, hours summed across platforms,
    the quota over the post's workers that day — so two side by side would each miss the other's
    uncommitted sessions: overlaps stored twice, 6 h + 6 h judged as 6 h twice, a quota judged on half.
    """
    await lock_keys(
        session,
        "wages-working-time",
        [f"worker:{r['worker_id']}" for r in rows]
        + [f"quota:{r['platform_id']}:{r['post']}:{r['work_date'].isoformat()}" for r in rows if r["post"]],
    )
