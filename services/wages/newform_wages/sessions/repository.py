"""Queries of the work_sessions table: the upload's bulk insert, overlaps, working minutes per day across
platforms (a session across midnight counted on each of its days) and the lock that orders uploads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.db import driver_connection
from newform_common.locks import lock_keys
from newform_common.pagination import PageParams
from newform_common.scope import visibility

from ..repository import column_types, insert_rows
from .models import WorkSession

SESSION_COLUMNS = column_types(WorkSession)


async def insert_sessions(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[str]:
    """An upload's sessions (COPY, or unnest when some exist); returns the line ids inserted."""
    return await insert_rows(
        session, "work_sessions", SESSION_COLUMNS, rows, conflict="(platform_id, line_id)", returning="line_id"
    )


async def session_by_line(session: AsyncSession, platform_id: str, line_id: str) -> dict[str, Any]:
    """The session a platform stored under a line id (it must exist)."""
    query = select(WorkSession.__table__).where(WorkSession.platform_id == platform_id, WorkSession.line_id == line_id)
    return dict((await session.execute(query)).mappings().one())


async def visible_sessions(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    worker_id: str | None = None,
    work_date: date | None = None,
) -> list[dict[str, Any]]:
    """A page of the sessions the caller may see, by id."""
    query = select(WorkSession.__table__).where(
        visibility(principal).where(platform=WorkSession.platform_id, worker=WorkSession.worker_id)
    )
    if worker_id is not None:
        query = query.where(WorkSession.worker_id == worker_id)
    if work_date is not None:
        query = query.where(WorkSession.work_date == work_date)
    if params.after:
        query = query.where(WorkSession.id > params.after[0])
    rows = await session.execute(query.order_by(WorkSession.id).limit(params.limit + 1))
    return [dict(r) for r in rows.mappings()]


async def stored_sessions(
    session: AsyncSession, platform_id: str, worker_ids: list[str], low: datetime, high: datetime
) -> list[dict[str, Any]]:
    """The platform's stored sessions of these workers that touch [low, high) (for overlaps)."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select worker_id, started_at, ended_at, line_id from work_sessions where platform_id = $1 "
        "and worker_id = any($2::text[]) and started_at < $4 and ended_at > $3",
        platform_id,
        worker_ids,
        low,
        high,
    )
    return [dict(r) for r in rows]


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
    """The workers' sessions (every platform) on days in [start, end], for rest breaks."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "select worker_id, work_date, platform_id, started_at, ended_at from work_sessions "
        "where worker_id = any($1::text[]) and work_date between $2 and $3",
        list(set(worker_ids)),
        start,
        end,
    )
    return [dict(r) for r in rows]


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
