"""M8 during a red bad-weather warning (wages consumes departments.events): wages keeps the emergency
department's warnings; a red one starts a clock (`newform_common.deadlines`) due `judge_after_minutes`
after its window closes, when the platforms have reported the window's sessions; firing judges every
platform with sessions in the district then or in the usual weeks (`safety/rules.py`). An amendment moves
the clock, a downgrade or a lifting before the start stops it. In the caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock, deadlines
from newform_common.deadlines import Deadline
from newform_common.findings import raise_finding

from ..collective import bad_weather_service as bad_weather_allowance
from ..consumed import WeatherWarningIssued
from . import penalty_service, rules
from . import repository as repo
from .models import WeatherWarning

#: One clock per red warning: its sessions judged once the window is closed and reported.
RED_WARNING_CLOCK = "wages.red_warning_sessions"


def _window(w: WeatherWarning) -> rules.Window:
    return rules.Window(
        w.warning_id, w.reference, w.district, w.level, w.hazard, w.starts_at, w.ends_at, w.cancelled_at
    )


async def warning_stated(session: AsyncSession, event: WeatherWarningIssued) -> None:
    """A warning stated, amended or lifted: the highest version kept, the judging clock set or stopped."""
    row = await repo.warning(session, event.fact_id)
    if row is not None and row.version >= event.version:
        return  # a redelivery or an older statement
    if row is None:
        row = WeatherWarning(warning_id=event.fact_id, version=0)
        session.add(row)
    row.reference, row.version, row.district, row.level = event.reference, event.version, event.district, event.level
    row.hazard, row.starts_at, row.ends_at = event.hazard, event.starts_at, event.ends_at
    row.cancelled_at = event.cancelled_at
    row.updated_at = clock.now()
    due = rules.judged_at(_window(row))
    if due is None:
        await deadlines.cancel(session, RED_WARNING_CLOCK, row.warning_id)
    else:
        await deadlines.schedule(session, RED_WARNING_CLOCK, row.warning_id, due)
    await session.flush()  # the statements' query reads the warning as now stated
    await penalty_service.judge_warning(session, row)
    await bad_weather_allowance.judge_warning(session, _window(row))


async def judge_red_warning(session: AsyncSession, deadline: Deadline) -> None:
    """The window closed and was reported: each platform's minutes in the district against its usual."""
    row = await repo.warning(session, deadline.subject_id)
    if row is None:
        return
    window = _window(row)
    if rules.judged_at(window) is None or window.end is None:
        return
    during = await repo.minutes_in_district(session, row.district, window.starts_at, window.end)
    weeks = [await repo.minutes_in_district(session, row.district, s, e) for s, e in rules.usual_windows(window)]
    for platform_id in sorted(set(during).union(*weeks)):
        spec = rules.work_during_red_warning(
            window, platform_id, during.get(platform_id, 0), [week.get(platform_id, 0) for week in weeks]
        )
        if spec is not None:
            await raise_finding(
                session,
                spec,
                subject_type="weather_warning",
                subject_id=row.warning_id,
                platform_id=platform_id,
                district=row.district,
                observed_at=deadline.due_at,
            )


DEADLINE_HANDLERS = {RED_WARNING_CLOCK: judge_red_warning}
