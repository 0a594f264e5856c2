"""The queries of M8 during a red warning: wages' copy of the warnings, and the session minutes a platform's
workers spent in a district in a time window."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.locks import lock_keys
from newform_common.policy import business_date

from .models import WeatherWarning


async def warning(session: AsyncSession, warning_id: str) -> WeatherWarning | None:
    """The warning, locked for its statement's update (one statement of a warning at a time)."""
    await lock_keys(session, "wages-weather-warning", [warning_id])
    query = select(WeatherWarning).where(WeatherWarning.warning_id == warning_id)
    return (await session.execute(query)).scalar_one_or_none()


# A session is in the district when the engagement it was worked under is: its contract's, else (a session
# reported without a contract) an engagement of that worker with that platform whose place of work is there.
# Only the part of a session inside the window counts.
_MINUTES_IN_DISTRICT = text(
    """
    select s.platform_id,
           floor(sum(extract(epoch from least(s.ended_at, :ends) - greatest(s.started_at, :starts))) / 60)::bigint
    from work_sessions s
    where s.started_at < :ends and s.ended_at > :starts
      and exists (
        select 1 from engagements e
        where e.district = :district and e.platform_id = s.platform_id
          and (e.contract_id = s.contract_id or (s.contract_id is null and e.worker_id = s.worker_id))
      )
    group by s.platform_id
    """
)


async def minutes_in_district(session: AsyncSession, district: str, starts: datetime, ends: datetime) -> dict[str, int]:
    """Each platform's session minutes in the district between `starts` and `ends`."""
    rows = await session.execute(_MINUTES_IN_DISTRICT, {"district": district, "starts": starts, "ends": ends})
    return {platform_id: int(minutes) for platform_id, minutes in rows}


# A window's end is the earlier of its announced end and its lifting (least() skips nulls; both null: open).
_WARNINGS_OVERLAPPING = text(
    """
    select warning_id, reference, district, level, hazard, starts_at, ends_at, cancelled_at
    from weather_warnings
    where district = :district and starts_at < :ends
      and coalesce(least(ends_at, cancelled_at), 'infinity'::timestamptz) > :starts
    order by starts_at, warning_id
    """
)


async def warnings_overlapping(session: AsyncSession, district: str, starts: datetime, ends: datetime) -> list[dict]:
    """The district's warnings (any level, as last stated) whose window meets [starts, ends)."""
    rows = await session.execute(_WARNINGS_OVERLAPPING, {"district": district, "starts": starts, "ends": ends})
    return [dict(r._mapping) for r in rows]


# Judged statements of engagements in the district with a lateness penalty the window may concern: a timed
# one inside it, an untimed one on a period whose business days meet it.
_STATEMENTS_WITH_PENALTIES = text(
    """
    select s.id, s.line_id, s.contract_id, s.platform_id, s.worker_id, s.period_start, s.period_end, s.deductions,
           e.district, e.occupation, e.enterprise_id, e.engagement_type
    from statements s join engagements e on e.contract_id = s.contract_id
    where s.status = 'judged' and e.district = :district
      and exists (
        select 1 from jsonb_array_elements(s.deductions) d
        where d->>'reason' = any(:reasons)
          and case when d->>'incurred_at' is not null
                   then (d->>'incurred_at')::timestamptz >= :starts
                        and (d->>'incurred_at')::timestamptz < coalesce(cast(:ends as timestamptz), 'infinity')
                   else s.period_start <= :last_day and s.period_end >= :first_day end
      )
    order by s.id
    """
)


async def statements_with_penalties(
    session: AsyncSession, district: str, reasons: list[str], window: tuple[datetime, datetime | None]
) -> list[dict]:
    """Statements (with their engagement's subject fields) a warning's window may concern."""
    starts, ends = window
    params = {
        "district": district,
        "reasons": reasons,
        "starts": starts,
        "ends": ends,
        "first_day": business_date(starts),
        "last_day": business_date(ends) if ends else date.max,
    }
    return [dict(r._mapping) for r in await session.execute(_STATEMENTS_WITH_PENALTIES, params)]
