"""The durable clocks of the legal periods (`clocks.py` counts them), run through the kit's deadlines
API (`newform_common.deadlines`): start a period, start on an agreed day, extend, stop.

A fact entered after its period already ran out (a paper application entered weeks later) does not
fire at once: the body has until the end of the day of entry to enter what it did in time, then the
clock fires. A decision entered late fires its clock's finding then (`stop`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.deadlines import PENDING, Deadline, DeadlineHandler, end_of_business_day
from newform_common.policy import business_date

from . import clocks
from .shared import now


async def start(
    session: AsyncSession,
    kind: str,
    subject_id: str,
    period: clocks.Period,
    *,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Deadline:
    """A legal period's durable clock, counted by the kit's one period rule (kept with the row).

    A fact entered after its period already ran out (a paper application entered weeks later) does
    not fire at once: the body has until the end of the day of entry to enter what it did in time
    (an acceptance, a refusal, an award, each with its own day), then the clock fires. The clock keeps
    the law's last day (`data.last_day`), which its findings and the case view show."""
    deadline = await deadlines.schedule_period(
        session, kind, subject_id, start=period.start, days=period.days, unit=period.unit, data=data, now=at
    )
    return await _entered_late(session, deadline, at or now())


async def start_on(session: AsyncSession, kind: str, subject_id: str, last_day: date) -> Deadline:
    """A clock on an agreed day (a fulfilment date), not a legal period; entered late as `start`."""
    deadline = await deadlines.schedule(session, kind, subject_id, end_of_business_day(last_day))
    return await _entered_late(session, deadline, now())


async def _entered_late(session: AsyncSession, deadline: Deadline, entered: datetime) -> Deadline:
    # A clock set afresh (a restart) forgets the day an earlier setting kept.
    data = {k: v for k, v in deadline.data.items() if k != clocks.LEGAL_LAST_DAY}
    deadline.data = data
    if deadline.due_at <= entered:
        last_day = business_date(deadline.due_at - timedelta(microseconds=1))
        deadline = await deadlines.move(
            session, deadline.kind, deadline.subject_id, end_of_business_day(business_date(entered))
        )
        deadline.data = {**data, clocks.LEGAL_LAST_DAY: last_day.isoformat()}
    return deadline


async def extend(session: AsyncSession, kind: str, subject_id: str, days: int, whole: clocks.Period) -> None:
    """Lengthen a running period by `days` (the kit counts it again, suspensions kept); a clock that was
    entered after its period ran out is set afresh for the `whole` extended period."""
    current = await deadlines.live(session, kind, subject_id)
    if current is not None and clocks.LEGAL_LAST_DAY in current.data:
        await start(session, kind, subject_id, whole)
    else:
        await deadlines.extend(session, kind, subject_id, days)


async def stop(session: AsyncSession, kind: str, subject_id: str, decided_on: date, fire: DeadlineHandler) -> None:
    """The act a clock waited for happened on `decided_on`. Done in time: the clock is cancelled. Done
    after its last day but entered before the clock fired (paper records are entered later): the clock
    fires now through `fire` (the handler the deadline worker would run), with the finding it would
    have raised, so a late act never hides the lateness."""
    current = await deadlines.live(session, kind, subject_id)
    if current is None:
        return
    if current.status == PENDING and decided_on > clocks.last_day_of(current):
        await deadlines.fire_now(session, current, fire)
    else:
        await deadlines.cancel(session, kind, subject_id)
