"""Deadlines are data (DESIGN.md): legal and agreed clocks as rows, fired once by a worker.

- `schedule(session, kind, subject_id, due_at)` writes the clock in the same transaction as the
  fact that starts it; `cancel`, `pause`, `resume` and `move` are written by the facts that stop,
  suspend or extend it. One live clock per (kind, subject).
- `DeadlineWorker` (started by `create_service_app(deadline_handlers={kind: handler})`) claims due
  rows with `FOR UPDATE SKIP LOCKED` (safe with several replicas) and calls the kind's handler in the
  same transaction that marks the row fired: the finding and outbox rows the handler writes commit
  with it, or not at all. A handler that fails leaves the row pending and is retried later.
- A GET never fires a deadline: reads show `due_at` and the days left (`DeadlinePublic`).
- Legal periods go through `schedule_period(…, start=, days=, unit=)`: the due day is
  `calendar.period_end` (from the day after the start; a last day that is a rest day moves to the next
  working day), the row keeps the period and whether the answer is `provisional` (its year has no
  State Council schedule yet). `recompute(session, year)` runs when a year's schedule is loaded: every
  live period clock that year touches is computed again, once, in the loading transaction, and each
  change is returned for the caller's event.

Why a table of our own and not a job queue (procrastinate, pgqueuer): a legal clock is not a job.
It pauses and resumes with its remaining time (an arbitration suspended for 10 days is due 10 days
later), it is extended by facts, it must be visible on its case with its days left, and it must be
changed in the same transaction as the fact, through the service's own session. Job queues model
"run this later", with their own connections and schemas; none of them models a pausable clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Boolean, Column, DateTime, Index, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col

from . import calendar, clock
from .db import CommonModel, Database
from .errors import Conflict, is_transient_conflict
from .ids import new_id, new_ids
from .policy import BUSINESS_TZ, business_date
from .tasks import cancel_and_wait

log = logging.getLogger(__name__)

PENDING, PAUSED, FIRED, CANCELLED = "pending", "paused", "fired", "cancelled"
LIVE = (PENDING, PAUSED)


class Deadline(CommonModel, table=True):
    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index(
            "uq_deadlines_live",
            "kind",
            "subject_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'paused')"),
        ),
        Index(
            "ix_deadlines_live_periods",
            "id",
            postgresql_where=text("status IN ('pending', 'paused') AND period IS NOT NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=100)
    subject_id: str = Field(max_length=100, index=True)
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: str = Field(default=PENDING, max_length=16)
    paused_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    fired_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # A legal period's recipe {start, days, unit, paused_days} (None: a plain agreed time) and whether
    # its due day rests on a year without its holiday schedule (recomputed when the schedule arrives).
    period: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB(none_as_null=True), nullable=True))
    provisional: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false")))

    @property
    def provisional_reason(self) -> str | None:
        if not self.provisional or not self.period:
            return None
        return calendar.period_end(*_recipe(self.period)).reason


class DeadlinePublic(BaseModel):
    """A clock as a case shows it: when it is due and how many days are left (Asia/Shanghai dates)."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    due_at: datetime
    status: str
    days_left: int | None = None
    provisional: bool = PydanticField(
        False,
        description=(
            "The due day lies in (or was counted through) a year whose State Council holiday schedule is not "
            "loaded yet: counted on weekends and statutory holidays only, and recomputed once the schedule is "
            "loaded (an event says so)"
        ),
    )
    provisional_reason: str | None = None

    @classmethod
    def of(cls, deadline: Deadline, now: datetime | None = None) -> DeadlinePublic:
        view = cls.model_validate(deadline)
        view.provisional_reason = deadline.provisional_reason
        if deadline.status in LIVE:
            today = (now or clock.now()).astimezone(BUSINESS_TZ).date()
            view.days_left = (deadline.due_at.astimezone(BUSINESS_TZ).date() - today).days
        return view


def end_of_business_day(day: date) -> datetime:
    """A deadline "by date D" runs out at the end of D in Asia/Shanghai (i.e. at the start of D+1)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=BUSINESS_TZ)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("deadline times must be timezone-aware")
    return at


async def live(session: AsyncSession, kind: str, subject_id: str, *, for_update: bool = True) -> Deadline | None:
    query = select(Deadline).where(
        col(Deadline.kind) == kind, col(Deadline.subject_id) == subject_id, col(Deadline.status).in_(LIVE)
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def of_subject(session: AsyncSession, subject_id: str) -> list[Deadline]:
    """Every clock of a subject (live and ended), oldest first."""
    rows = await session.execute(
        select(Deadline)
        .where(col(Deadline.subject_id) == subject_id)
        .order_by(col(Deadline.created_at), col(Deadline.id))
    )

    return list(rows.scalars())


async def schedule(
    session: AsyncSession,
    kind: str,
    subject_id: str,
    due_at: datetime,
    *,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Deadline:
    """Start a clock (or re-set the live one of that kind and subject to a new due time)."""
    due_at = _aware(due_at)
    current = await live(session, kind, subject_id)
    if current is not None:
        current.due_at, current.status, current.paused_at = due_at, PENDING, None
        current.data = {**current.data, **(data or {})}
        return current
    deadline = Deadline(
        id=new_id("dl"),
        kind=kind,
        subject_id=subject_id,
        due_at=due_at,
        data=dict(data or {}),
        created_at=now or clock.now(),
    )
    session.add(deadline)
    return deadline


async def schedule_new(
    session: AsyncSession,
    kind: str,
    clocks: Sequence[tuple[str, datetime, Mapping[str, Any]]],
    *,
    now: datetime | None = None,
) -> None:
    """Start many clocks in one statement: `(subject_id, due_at, data)` each, for subjects that have no
    live clock of `kind` (created in this very transaction, or checked under a lock by the caller).
    The bulk path of `schedule`: an upload of thousands of unpaid statements starts its clocks at once
    (one `schedule` per statement, a look-up and an object each, was seven times slower)."""
    if not clocks:
        return
    created_at = now or clock.now()
    rows = [
        {
            "id": ident,
            "kind": kind,
            "subject_id": subject_id,
            "due_at": _aware(due_at),
            "status": PENDING,
            "data": dict(data),
            "attempts": 0,
            "created_at": created_at,
            "period": None,
            "provisional": False,
        }
        for ident, (subject_id, due_at, data) in zip(new_ids("dl", len(clocks)), clocks, strict=True)
    ]
    await session.run_sync(lambda sync: sync.bulk_insert_mappings(Deadline, rows))


def _recipe(period: Mapping[str, Any]) -> tuple[date, int, calendar.PeriodUnit]:
    return (
        date.fromisoformat(period["start"]),
        int(period["days"]) + int(period.get("paused_days", 0)),
        period.get("unit", calendar.CALENDAR_DAYS),
    )


async def schedule_period(
    session: AsyncSession,
    kind: str,
    subject_id: str,
    *,
    start: date,
    days: int,
    unit: calendar.PeriodUnit = calendar.CALENDAR_DAYS,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Deadline:
    """Start a legal period's clock: due at the end of `calendar.period_end(start, days, unit)`.

    The row keeps the period, so a suspension (`resume`), an extension (`extend`) and a newly loaded
    holiday schedule (`recompute`) count it again by the same rule instead of shifting a time."""
    end = calendar.period_end(start, days, unit)
    deadline = await schedule(session, kind, subject_id, end_of_business_day(end.last_day), data=data, now=now)
    deadline.period = {**end.as_data(), "paused_days": 0}
    deadline.provisional = end.provisional
    return deadline


def _apply_period(deadline: Deadline) -> None:
    assert deadline.period is not None  # only a clock counted as a period is counted again
    end = calendar.period_end(*_recipe(deadline.period))
    deadline.due_at, deadline.provisional = end_of_business_day(end.last_day), end.provisional


async def extend(session: AsyncSession, kind: str, subject_id: str, days: int) -> Deadline:
    """Lengthen a live period clock by `days` (an approved extension), counted by the period rule."""
    current = await _require_live(session, kind, subject_id)
    if not current.period:
        return await move(session, kind, subject_id, current.due_at + timedelta(days=days))
    current.period = {**current.period, "days": int(current.period["days"]) + days}
    _apply_period(current)
    return current


@dataclass(frozen=True)
class Recomputed:
    """A live clock whose due time changed because a year's holiday schedule was loaded."""

    deadline_id: str
    kind: str
    subject_id: str
    previous_due_at: datetime
    due_at: datetime
    was_provisional: bool
    provisional: bool


async def recompute(session: AsyncSession, year: int) -> list[Recomputed]:
    """Count again every live period clock whose period reaches into `year` (the caller has just
    installed that year's schedule). Returns the clocks whose due time or provisional flag changed.

    Only clocks that consulted the year can change: those marked provisional (they looked at it
    without a schedule) and, when a loaded year is replaced, those whose period touches it."""
    rows = (
        (
            await session.execute(
                select(Deadline)
                .where(col(Deadline.status).in_(LIVE), col(Deadline.period).is_not(None))
                .order_by(col(Deadline.id))
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    changed: list[Recomputed] = []
    for deadline in rows:
        if not deadline.period:  # a JSON null written before none_as_null: a plain time
            continue
        start = date.fromisoformat(deadline.period["start"])
        if start.year > year or business_date(deadline.due_at - timedelta(seconds=1)).year < year:
            continue
        before, was = deadline.due_at, deadline.provisional
        _apply_period(deadline)  # a paused clock too: its resumption counts from the new due day
        if deadline.due_at != before or deadline.provisional != was:
            changed.append(
                Recomputed(
                    deadline.id, deadline.kind, deadline.subject_id, before, deadline.due_at, was, deadline.provisional
                )
            )
    return changed


async def cancel(session: AsyncSession, kind: str, subject_id: str) -> Deadline | None:
    """Stop a clock because the fact it waited for happened (None if no clock was running)."""
    current = await live(session, kind, subject_id)
    if current is not None:
        current.status = CANCELLED
    return current


async def pause(session: AsyncSession, kind: str, subject_id: str, at: datetime) -> Deadline:
    """Suspend a clock; the time until resumption does not count."""
    current = await _require_live(session, kind, subject_id)
    if current.status == PAUSED:
        raise Conflict(f"The {kind} clock is already paused", slug="clock-paused")
    current.status, current.paused_at = PAUSED, _aware(at)
    return current


async def resume(session: AsyncSession, kind: str, subject_id: str, at: datetime) -> Deadline:
    """Restart a paused clock: it is due later by exactly the time it was paused."""
    current = await _require_live(session, kind, subject_id)
    if current.status != PAUSED or current.paused_at is None:
        raise Conflict(f"The {kind} clock is not paused", slug="clock-not-paused")
    at = _aware(at)
    if at < current.paused_at:
        raise Conflict("A clock cannot resume before it was paused", slug="clock-resume-before-pause")
    if current.period:  # a legal period: the suspended days do not count, then the period rule applies
        paused = (business_date(at) - business_date(current.paused_at)).days
        current.period = {**current.period, "paused_days": int(current.period.get("paused_days", 0)) + paused}
        _apply_period(current)
    else:
        current.due_at = current.due_at + (at - current.paused_at)
    current.status, current.paused_at = PENDING, None
    return current


async def move(session: AsyncSession, kind: str, subject_id: str, due_at: datetime) -> Deadline:
    """Set a live clock's due time outright, keeping it paused if it is. A period clock becomes a plain
    time (no longer counted by the period rule): use `extend` to lengthen a legal period."""
    current = await _require_live(session, kind, subject_id)
    current.due_at = _aware(due_at)
    current.period, current.provisional = None, False
    return current


async def fire_now(session: AsyncSession, deadline: Deadline, handler: DeadlineHandler) -> None:
    """Fire a pending clock now, in the caller's transaction, as the worker would (its handler, then
    fired): the act it waited for was entered after its last day (a paper record entered late), and
    the lateness must not hide behind a cancel."""
    if deadline.status != PENDING:
        raise ValueError(f"deadline {deadline.id} is {deadline.status}, not pending")
    await handler(session, deadline)
    deadline.status, deadline.fired_at = FIRED, clock.now()


async def _require_live(session: AsyncSession, kind: str, subject_id: str) -> Deadline:
    current = await live(session, kind, subject_id)
    if current is None:
        raise Conflict(f"No running {kind} clock for {subject_id}", slug="no-clock")
    return current


DeadlineHandler = Callable[[AsyncSession, Deadline], Awaitable[None]]

#: How long a handler waits for a row a request holds before it gives way (see fire_due).
HANDLER_LOCK_TIMEOUT_MS = 200


async def fire_due(
    db: Database,
    handlers: Mapping[str, DeadlineHandler],
    *,
    now: datetime | None = None,
    limit: int = 200,
    retry_after: timedelta = timedelta(minutes=1),
) -> list[Deadline]:
    """Fire every pending clock of the given kinds due at `now`; returns the clocks fired.

    One transaction for the claimed batch, a savepoint per clock: a failing handler rolls back only
    its own writes, and its clock stays pending (retried after `retry_after`). A handler that would
    wait for a row a request holds gives way instead: its clock stays due for the next poll.
    """
    now = now or clock.now()
    fired: list[Deadline] = []
    async with db.transaction() as session:
        # The claimed clocks stay locked while their handlers run, and a handler locks its subject (a
        # case, say) — the reverse of a request that locks the subject and then cancels its clock. So
        # the worker never waits long for a lock: it gives way, and the clock is fired at the next poll.
        await session.execute(text(f"set local lock_timeout = '{HANDLER_LOCK_TIMEOUT_MS}ms'"))
        rows = (
            (
                await session.execute(
                    select(Deadline)
                    .where(
                        col(Deadline.status) == PENDING,
                        col(Deadline.due_at) <= now,
                        col(Deadline.kind).in_(list(handlers)),
                    )
                    .order_by(col(Deadline.due_at), col(Deadline.id))
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for deadline in rows:
            try:
                async with session.begin_nested():
                    await handlers[deadline.kind](session, deadline)
                    deadline.status, deadline.fired_at = FIRED, now
                    await session.flush()
                fired.append(deadline)
            except Exception as exc:  # a handler's failure must not stop the other clocks
                if is_transient_conflict(exc):  # a request holds its subject: it stays due, not a failure
                    log.info(
                        "deadline %s (%s) gave way to a concurrent change; firing it at the next poll",
                        deadline.id,
                        deadline.kind,
                    )
                    continue
                log.exception("deadline %s (%s) failed; retrying later", deadline.id, deadline.kind)
                # A statement, not attribute changes: the savepoint's rollback expired the object.
                await session.execute(
                    update(Deadline)
                    .where(col(Deadline.id) == deadline.id)
                    .values(
                        attempts=Deadline.attempts + 1,
                        last_error=f"{type(exc).__name__}: {exc}"[:500],
                        due_at=now + retry_after,
                    )
                )
    return fired


class DeadlineWorker:
    """Polls for due clocks and fires them; every replica may run one."""

    def __init__(self, db: Database, handlers: Mapping[str, DeadlineHandler], *, poll_interval: float = 5.0):
        self.db, self.handlers, self.poll_interval = db, dict(handlers), poll_interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None and self.handlers:
            self._task = asyncio.create_task(self._run(), name=f"deadlines-{self.db.service}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while len(await fire_due(self.db, self.handlers)) > 0:
                    pass  # a full batch may mean more are due: go again at once
            except asyncio.CancelledError:
                raise
            except Exception:  # database down: try again at the next poll
                log.warning("deadline worker could not poll; retrying", exc_info=True)
            await asyncio.sleep(self.poll_interval)
