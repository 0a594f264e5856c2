"""Deadlines are data (DESIGN.md): legal and agreed clocks as rows, fired once by a worker.

- `schedule(session, kind, subject_id, due_at)` writes the clock in the same transaction as the
  fact that starts it; `cancel`, `pause`, `resume` and `move` are written by the facts that stop,
  suspend or extend it. One live clock per (kind, subject).
- `DeadlineWorker` (started by `create_service_app(deadline_handlers={kind: handler})`) claims due
  rows with `FOR UPDATE SKIP LOCKED` (safe with several replicas) and calls the kind's handler in the
  same transaction that marks the row fired: the finding and outbox rows the handler writes commit
  with it, or not at all. A handler that fails leaves the row pending and is retried later.
- A GET never fires a deadline: reads show `due_at` and the days left (`DeadlinePublic`).

Why a table of our own and not a job queue (procrastinate, pgqueuer): a legal clock is not a job.
It pauses and resumes with its remaining time (an arbitration suspended for 10 days is due 10 days
later), it is extended by facts, it must be visible on its case with its days left, and it must be
changed in the same transaction as the fact, through the service's own session. Job queues model
"run this later", with their own connections and schemas; none of them models a pausable clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime, Index, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from .db import CommonModel, Database
from .errors import Conflict, is_transient_conflict
from .ids import new_id
from .policy import BUSINESS_TZ
from .tasks import cancel_and_wait

log = logging.getLogger(__name__)

PENDING, PAUSED, FIRED, CANCELLED = "pending", "paused", "fired", "cancelled"
LIVE = (PENDING, PAUSED)


class Deadline(CommonModel, table=True):
    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("uq_deadlines_live", "kind", "subject_id", unique=True,
              postgresql_where=text("status IN ('pending', 'paused')")),
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


class DeadlinePublic(BaseModel):
    """A clock as a case shows it: when it is due and how many days are left (Asia/Shanghai dates)."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    due_at: datetime
    status: str
    days_left: int | None = None

    @classmethod
    def of(cls, deadline: Deadline, now: datetime | None = None) -> DeadlinePublic:
        view = cls.model_validate(deadline)
        if deadline.status in LIVE:
            today = (now or datetime.now(UTC)).astimezone(BUSINESS_TZ).date()
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
    query = select(Deadline).where(Deadline.kind == kind, Deadline.subject_id == subject_id,
                                   Deadline.status.in_(LIVE))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def of_subject(session: AsyncSession, subject_id: str) -> list[Deadline]:
    """Every clock of a subject (live and ended), oldest first."""
    rows = await session.execute(select(Deadline).where(Deadline.subject_id == subject_id)
                                 .order_by(Deadline.created_at, Deadline.id))
    return list(rows.scalars())


async def schedule(session: AsyncSession, kind: str, subject_id: str, due_at: datetime, *,
                   data: Mapping[str, Any] | None = None, now: datetime | None = None) -> Deadline:
    """Start a clock (or re-set the live one of that kind and subject to a new due time)."""
    due_at = _aware(due_at)
    current = await live(session, kind, subject_id)
    if current is not None:
        current.due_at, current.status, current.paused_at = due_at, PENDING, None
        current.data = {**current.data, **(data or {})}
        return current
    deadline = Deadline(id=new_id("dl"), kind=kind,
                        subject_id=subject_id, due_at=due_at, data=dict(data or {}),
                        created_at=now or datetime.now(UTC))
    session.add(deadline)
    return deadline


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
    current.due_at = current.due_at + (at - current.paused_at)
    current.status, current.paused_at = PENDING, None
    return current


async def move(session: AsyncSession, kind: str, subject_id: str, due_at: datetime) -> Deadline:
    """Change a live clock's due time (an extension), keeping it paused if it is."""
    current = await _require_live(session, kind, subject_id)
    current.due_at = _aware(due_at)
    return current


async def _require_live(session: AsyncSession, kind: str, subject_id: str) -> Deadline:
    current = await live(session, kind, subject_id)
    if current is None:
        raise Conflict(f"No running {kind} clock for {subject_id}", slug="no-clock")
    return current


DeadlineHandler = Callable[[AsyncSession, Deadline], Awaitable[None]]

#: How long a handler waits for a row a request holds before it gives way (see fire_due).
HANDLER_LOCK_TIMEOUT_MS = 200


async def fire_due(db: Database, handlers: Mapping[str, DeadlineHandler], *, now: datetime | None = None,
                   limit: int = 200, retry_after: timedelta = timedelta(minutes=1)) -> list[Deadline]:
    """Fire every pending clock of the given kinds due at `now`; returns the clocks fired.

    One transaction for the claimed batch, a savepoint per clock: a failing handler rolls back only
    its own writes, and its clock stays pending (retried after `retry_after`). A handler that would
    wait for a row a request holds gives way instead: its clock stays due for the next poll.
    """
    now = now or datetime.now(UTC)
    fired: list[Deadline] = []
    async with db.transaction() as session:
        # The claimed clocks stay locked while their handlers run, and a handler locks its subject (a
        # case, say) — the reverse of a request that locks the subject and then cancels its clock. So
        # the worker never waits long for a lock: it gives way, and the clock is fired at the next poll.
        await session.execute(text(f"set local lock_timeout = '{HANDLER_LOCK_TIMEOUT_MS}ms'"))
        rows = (await session.execute(
            select(Deadline).where(Deadline.status == PENDING, Deadline.due_at <= now,
                                   Deadline.kind.in_(list(handlers)))
            .order_by(Deadline.due_at, Deadline.id).limit(limit).with_for_update(skip_locked=True)
        )).scalars().all()
        for deadline in rows:
            try:
                async with session.begin_nested():
                    await handlers[deadline.kind](session, deadline)
                    deadline.status, deadline.fired_at = FIRED, now
                    await session.flush()
                fired.append(deadline)
            except Exception as exc:  # a handler's failure must not stop the other clocks
                if is_transient_conflict(exc):  # a request holds its subject: it stays due, not a failure
                    log.info("deadline %s (%s) gave way to a concurrent change; firing it at the next poll",
                             deadline.id, deadline.kind)
                    continue
                log.exception("deadline %s (%s) failed; retrying later", deadline.id, deadline.kind)
                # A statement, not attribute changes: the savepoint's rollback expired the object.
                await session.execute(update(Deadline).where(Deadline.id == deadline.id).values(
                    attempts=Deadline.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500],
                    due_at=now + retry_after))
    return fired


class DeadlineWorker:
    """Polls for due clocks and fires them; every replica may run one."""

    def __init__(self, db: Database, handlers: Mapping[str, DeadlineHandler], *, poll_interval: float = 5.0):
        self.db, self.handlers, self.poll_interval = db, dict(handlers), poll_interval
        self._task: asyncio.Task | None = None

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
