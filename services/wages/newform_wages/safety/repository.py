"""The queries of M8 during a red warning: wages' copy of the warnings, and the session minutes a platform's
workers spent in a district in a time window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.locks import lock_keys

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
