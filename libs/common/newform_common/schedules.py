"""Loading a year's holiday schedule (调休) without a release, and what follows in every service.

The path, one load for the whole system:

1. The regulator loads a year at the gateway (`PUT /v1/calendar/schedules/{year}`, or
   `newform calendar load FILE`, which calls it). The file is checked by `calendar.parse_schedule`;
   the gateway stores it (`calendar_schedules`, a common table), records who loaded what and when,
   and publishes `gateway.calendar.schedule_loaded.v1` — loading a year is an event.
2. Every other service consumes that event (`calendar_consumer`, started by the app factory from the
   `CALENDAR_TOPIC` setting) and, in one transaction with its inbox row: stores the year, installs it
   in the process's calendar, recomputes each of its live legal clocks that the year touches
   (`deadlines.recompute`, each change a `<service>.deadline.recomputed.v1` event the gateway shows)
   and runs the service's own hooks (wages judges the premium questions left pending).
3. Each process reads the stored years at start and every `SCHEDULE_REFRESH_S` after (a replica that
   did not handle the event learns the year within a minute).

Why through Kafka and not a call to each service: a service that is down while the year is loaded
catches up from its topic like any other fact; and one service (the gateway, the regulator's) owns
the act of loading.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any, cast

from pydantic import Field
from sqlalchemy import Column, Date, DateTime, Integer, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field as SqlField
from sqlmodel import col

from . import calendar, clock, deadlines
from .db import CommonModel, Database
from .events import DomainEvent, Envelope, event_type
from .outbox import record
from .tasks import cancel_and_wait

log = logging.getLogger(__name__)

SCHEDULE_LOADED = "gateway.calendar.schedule_loaded.v1"
SCHEDULE_REFRESH_S = 60.0

#: What a service does once a year's schedule is in (wages: judge the pending premium questions).
ScheduleHook = Callable[[AsyncSession, int], Awaitable[Any]]


class CalendarSchedule(CommonModel, table=True):
    """A year's schedule as loaded (the bundled years are not stored: they come with the package)."""

    __tablename__ = "calendar_schedules"

    year: int = SqlField(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    source: str
    published_on: date | None = SqlField(default=None, sa_column=Column(Date))
    document: dict[str, Any] = SqlField(sa_column=Column(JSONB, nullable=False))
    loaded_by: str = SqlField(max_length=200)
    loaded_at: datetime = SqlField(sa_column=Column(DateTime(timezone=True), nullable=False))

    def as_schedule(self) -> calendar.Schedule:
        parsed = calendar.parse_schedule(self.document, year=self.year)
        return calendar.Schedule(
            year=parsed.year,
            rest_days=parsed.rest_days,
            working_days=parsed.working_days,
            source=parsed.source,
            published_on=parsed.published_on,
            origin="loaded",
            loaded_by=self.loaded_by,
            loaded_at=self.loaded_at,
        )


@event_type(SCHEDULE_LOADED, key="year")
class ScheduleLoaded(DomainEvent):
    """The State Council's holiday schedule of a year was loaded by the regulator."""

    year: int
    source: str = Field(description="The notice it comes from, e.g. 国办发明电〔2026〕N号")
    published_on: date | None = None
    rest_days: list[date]
    working_days: list[date]
    loaded_by: str = Field(description="Who loaded it (the token's subject)")
    loaded_at: datetime


_RECOMPUTED_EVENTS: dict[str, type[DeadlineRecomputed]] = {}


class DeadlineRecomputed(DomainEvent):
    """A live legal clock got a new due time because a year's holiday schedule was loaded."""

    deadline_id: str
    kind: str = Field(description="The clock, e.g. disputes.mediation_acceptance")
    subject_id: str = Field(description="What the clock runs for (a case, a statement)")
    previous_due_at: datetime
    due_at: datetime
    was_provisional: bool
    provisional: bool = Field(description="Still provisional (it also reaches into another year without a schedule)")
    schedule_year: int


def deadline_recomputed_event(service: str) -> type[DeadlineRecomputed]:
    """`<service>.deadline.recomputed.v1` (made once per service; its events.py names it)."""
    if service not in _RECOMPUTED_EVENTS:
        name = "".join(part.title() for part in service.split("_")) + "DeadlineRecomputed"
        cls = cast(
            type[DeadlineRecomputed],
            type(name, (DeadlineRecomputed,), {"__doc__": DeadlineRecomputed.__doc__, "__module__": __name__}),
        )
        _RECOMPUTED_EVENTS[service] = event_type(f"{service}.deadline.recomputed.v1", key="subject_id")(cls)
    return _RECOMPUTED_EVENTS[service]


async def stored(session: AsyncSession) -> list[calendar.Schedule]:
    rows = (await session.execute(select(CalendarSchedule).order_by(col(CalendarSchedule.year)))).scalars().all()
    return [row.as_schedule() for row in rows]


async def install_stored(db: Database) -> None:
    """Install the years this service's database holds (at start, and on every refresh)."""
    async with db.transaction() as session:
        calendar.install(await stored(session))


async def apply(
    session: AsyncSession,
    schedule: calendar.Schedule,
    *,
    loaded_by: str,
    loaded_at: datetime,
    hooks: Sequence[ScheduleHook] = (),
) -> list[deadlines.Recomputed]:
    """Store and install a year, recompute this service's clocks it touches, run the hooks; all in the
    caller's transaction. Returns the recomputed clocks (each recorded as an event)."""
    document = schedule.as_document()
    values = {
        "year": schedule.year,
        "source": schedule.source,
        "published_on": schedule.published_on,
        "document": document,
        "loaded_by": loaded_by,
        "loaded_at": loaded_at,
    }
    await session.execute(
        insert(CalendarSchedule)
        .values(**values)
        .on_conflict_do_update(index_elements=["year"], set_={k: v for k, v in values.items() if k != "year"})
    )
    calendar.install(
        [
            calendar.Schedule(
                year=schedule.year,
                rest_days=schedule.rest_days,
                working_days=schedule.working_days,
                source=schedule.source,
                published_on=schedule.published_on,
                origin="loaded",
                loaded_by=loaded_by,
                loaded_at=loaded_at,
            )
        ]
    )
    changed = await deadlines.recompute(session, schedule.year)
    domain = session.info.get("domain") or session.info.get("service")
    assert domain is not None  # Database's sessions carry both (db.py)
    event = deadline_recomputed_event(domain)
    for c in changed:
        record(
            session,
            event(
                deadline_id=c.deadline_id,
                kind=c.kind,
                subject_id=c.subject_id,
                previous_due_at=c.previous_due_at,
                due_at=c.due_at,
                was_provisional=c.was_provisional,
                provisional=c.provisional,
                schedule_year=schedule.year,
            ),
        )
    for hook in hooks:
        await hook(session, schedule.year)
    log.info("holiday schedule %s installed (%s); %d clocks recomputed", schedule.year, schedule.source, len(changed))
    return changed


def consumer_handler(hooks: Sequence[ScheduleHook] = ()) -> Callable[[AsyncSession, Envelope], Awaitable[None]]:
    """The handler of `gateway.calendar.schedule_loaded.v1` in a service other than the gateway."""

    async def on_schedule_loaded(session: AsyncSession, envelope: Envelope) -> None:
        if envelope.type != SCHEDULE_LOADED:
            return
        event = ScheduleLoaded.model_validate(envelope.data)
        schedule = calendar.parse_schedule(
            {
                "year": event.year,
                "source": event.source,
                "published_on": event.published_on.isoformat() if event.published_on else None,
                "rest_days": [d.isoformat() for d in event.rest_days],
                "working_days": [d.isoformat() for d in event.working_days],
            },
            year=event.year,
        )
        await apply(session, schedule, loaded_by=event.loaded_by, loaded_at=event.loaded_at, hooks=hooks)

    return on_schedule_loaded


class ScheduleRefresher:
    """Re-reads the stored years now and then, so every replica knows a year another one handled."""

    def __init__(self, db: Database, interval: float = SCHEDULE_REFRESH_S):
        self.db, self.interval = db, interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            await install_stored(self.db)
        except Exception:  # the database may be down at start: the refresh tries again
            log.warning("could not read the stored holiday schedules; retrying", exc_info=True)
        self._task = asyncio.create_task(self._run(), name=f"schedules-{self.db.service}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await install_stored(self.db)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not refresh the holiday schedules", exc_info=True)


def coverage_check(today: date | None = None) -> tuple[bool, str]:
    """For /readyz: how long the known schedules last; a warning 60 days before they run out. Never
    "not ready": without a schedule the calendar answers provisionally."""
    today = today or clock.today()
    last, left = calendar.coverage(today)
    if left < 0:
        return False, (
            f"no holiday schedule for {today.year}: legal periods are provisional (weekends and "
            "statutory holidays only) until it is loaded (newform calendar load FILE)"
        )
    if left < 60:
        return False, (
            f"holiday schedules cover until {last.isoformat()} ({left} days): load the next year's "
            "State Council schedule (newform calendar load FILE); after that, periods are provisional"
        )
    return True, f"holiday schedules cover until {last.isoformat()} ({left} days)"
