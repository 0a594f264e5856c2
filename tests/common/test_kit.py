"""The service kit's shared pieces against real PostgreSQL: deadlines, findings, visibility."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common import calendar, deadlines
from newform_common.auth import Principal, Role
from newform_common.db import CommonModel, Database
from newform_common.findings import Finding, FindingSpec, Severity, raise_finding
from newform_common.outbox import OutboxRow
from newform_common.scope import visibility

T0 = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(new_database):
    url = new_database("kit")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(CommonModel.metadata.create_all)
    await engine.dispose()
    database = Database(url, service="kitsvc")
    yield database
    await database.dispose()


async def test_a_clock_fires_once_with_what_its_handler_writes_in_the_same_transaction(db):
    calls = []

    async def overdue(session, deadline):
        calls.append(deadline.subject_id)
        await raise_finding(
            session,
            FindingSpec("M18", "M18.award_overdue", Severity.high, "仲裁裁决超期"),
            subject_type="case",
            subject_id=deadline.subject_id,
        )

    async with db.transaction() as s:
        await deadlines.schedule(s, "award", "case-1", T0 + timedelta(days=45))
    handlers = {"award": overdue}
    assert await deadlines.fire_due(db, handlers, now=T0 + timedelta(days=44)) == []
    fired = await deadlines.fire_due(db, handlers, now=T0 + timedelta(days=46))
    assert [d.subject_id for d in fired] == ["case-1"]
    assert await deadlines.fire_due(db, handlers, now=T0 + timedelta(days=90)) == []  # once
    async with db.transaction() as s:
        assert (await s.execute(select(Finding.rule))).scalars().all() == ["M18.award_overdue"]
        assert (await s.execute(select(OutboxRow.type))).scalars().all() == ["kitsvc.finding.raised.v1"]
    assert calls == ["case-1"]


async def test_pause_resume_and_extension_move_the_due_time_by_exactly_the_time_paused(db):
    async with db.transaction() as s:
        await deadlines.schedule(s, "award", "case-2", T0 + timedelta(days=45))
    async with db.transaction() as s:
        await deadlines.pause(s, "award", "case-2", T0 + timedelta(days=10))
    # A paused clock does not fire, even long after its original due time.
    assert await deadlines.fire_due(db, {"award": _noop}, now=T0 + timedelta(days=100)) == []
    async with db.transaction() as s:
        resumed = await deadlines.resume(s, "award", "case-2", T0 + timedelta(days=20))
        assert resumed.due_at == T0 + timedelta(days=55)
        moved = await deadlines.move(s, "award", "case-2", resumed.due_at + timedelta(days=15))
        assert moved.due_at == T0 + timedelta(days=70)
        view = deadlines.DeadlinePublic.of(moved, now=T0 + timedelta(days=60))
        assert view.days_left == 10 and view.status == "pending"


async def test_a_legal_period_counts_suspensions_and_extensions_by_the_period_rule(db):
    """Award due 45 days after 2025-08-01 (09-15, a Monday); 10 days suspended and 15 extended: 60 + 10 days,
    2025-10-10 — and a period ending on a rest day moves to the next working day (民法典 art. 203)."""
    async with db.transaction() as s:
        clock = await deadlines.schedule_period(s, "award", "case-p", start=date(2025, 8, 1), days=45)
        assert clock.due_at == deadlines.end_of_business_day(date(2025, 9, 15)) and not clock.provisional
        assert clock.period == {"start": "2025-08-01", "days": 45, "unit": "calendar_days", "paused_days": 0}
    async with db.transaction() as s:
        await deadlines.pause(s, "award", "case-p", T0 + timedelta(days=9))  # 2025-08-10
        resumed = await deadlines.resume(s, "award", "case-p", T0 + timedelta(days=19))  # 10 days later
        assert resumed.due_at == deadlines.end_of_business_day(date(2025, 9, 25))
        extended = await deadlines.extend(s, "award", "case-p", 15)
        # 2025-10-10 is a working day (the National Day break ended on 10-08; 10-11 was a working Saturday)
        assert extended.due_at == deadlines.end_of_business_day(date(2025, 10, 10))
        assert (await deadlines.extend(s, "award", "case-p", -1)).due_at == deadlines.end_of_business_day(
            date(2025, 10, 9)
        )
        moved = await deadlines.move(s, "award", "case-p", T0 + timedelta(days=100))
        assert moved.period is None and not moved.provisional  # a plain time from now on


async def test_recompute_changes_only_the_clocks_the_loaded_year_touches(db):
    saved = calendar.installed()
    try:
        async with db.transaction() as s:
            spring = await deadlines.schedule_period(
                s, "acceptance", "case-s", start=date(2027, 2, 4), days=3, unit=calendar.WORKING_DAYS
            )
            this_year = await deadlines.schedule_period(
                s, "acceptance", "case-t", start=date(2026, 12, 1), days=3, unit=calendar.WORKING_DAYS
            )
            assert spring.provisional and not this_year.provisional
            await deadlines.schedule(s, "pay_due", "statement-1", deadlines.end_of_business_day(date(2027, 2, 9)))
        calendar.install(
            [
                calendar.Schedule(
                    2027,
                    frozenset(date(2027, 2, d) for d in range(5, 12)) | frozenset(calendar.statutory_holidays(2027)),
                    frozenset({date(2027, 2, 13)}),
                    source="test",
                    origin="loaded",
                )
            ]
        )
        async with db.transaction() as s:
            changed = await deadlines.recompute(s, 2027)
        assert [(c.subject_id, c.due_at, c.provisional) for c in changed] == [
            ("case-s", deadlines.end_of_business_day(date(2027, 2, 15)), False)
        ]
        async with db.transaction() as s:
            assert await deadlines.recompute(s, 2027) == []  # once
    finally:
        calendar.reset(saved)


async def test_many_clocks_start_at_once_and_fire_like_one_started_alone(db):
    async with db.transaction() as s:
        await deadlines.schedule_new(
            s,
            "statement_due",
            [(f"st-{i}", T0 + timedelta(days=i), {"platform_id": "p1"}) for i in range(3)],
            now=T0,
        )
    fired = await deadlines.fire_due(db, {"statement_due": _noop}, now=T0 + timedelta(days=1, hours=1))
    assert sorted(d.subject_id for d in fired) == ["st-0", "st-1"]
    async with db.transaction() as s:
        waiting = await deadlines.live(s, "statement_due", "st-2", for_update=False)
        assert (waiting.status, waiting.data, waiting.due_at) == (
            "pending",
            {"platform_id": "p1"},
            T0 + timedelta(days=2),
        )


async def test_a_late_act_fires_its_clock_now_and_a_fired_clock_cannot_fire_again(db):
    calls = []

    async def overdue(session, deadline):
        calls.append(deadline.subject_id)

    async with db.transaction() as s:
        await deadlines.schedule(s, "reply", "c-late", T0)
        clock_row = await deadlines.live(s, "reply", "c-late")
        await deadlines.fire_now(s, clock_row, overdue)
        assert clock_row.status == "fired" and calls == ["c-late"]
        with pytest.raises(ValueError, match="not pending"):
            await deadlines.fire_now(s, clock_row, overdue)
    assert await deadlines.fire_due(db, {"reply": overdue}, now=T0 + timedelta(days=1)) == []
    assert calls == ["c-late"]


async def _noop(session, deadline):
    return None


async def test_a_cancelled_clock_never_fires_and_a_failing_handler_is_retried_alone(db):
    async with db.transaction() as s:
        await deadlines.schedule(s, "reply", "c-ok", T0)
        await deadlines.schedule(s, "reply", "c-bad", T0)
        await deadlines.schedule(s, "reply", "c-cancelled", T0)
    async with db.transaction() as s:
        assert (await deadlines.cancel(s, "reply", "c-cancelled")).status == "cancelled"

    async def handler(session, deadline):
        if deadline.subject_id == "c-bad":
            raise RuntimeError("downstream broken")

    fired = await deadlines.fire_due(db, {"reply": handler}, now=T0 + timedelta(hours=1))
    assert [d.subject_id for d in fired] == ["c-ok"]
    async with db.transaction() as s:
        bad = await deadlines.live(s, "reply", "c-bad", for_update=False)
        assert bad.status == "pending" and bad.attempts == 1 and "downstream broken" in bad.last_error
        assert bad.due_at > T0 + timedelta(hours=1)


async def test_a_request_cancelling_a_clock_whose_handler_waits_for_its_subject_never_deadlocks(db):
    """A request locks its case, then cancels the case's clock; the worker has claimed that clock and its
    handler locks the case: each would wait for the other (a CI run's 500). The worker gives way; the
    request goes through, and the clock it cancelled never fires."""
    async with db.transaction() as s:
        await s.execute(text("create table kit_cases (id text primary key)"))
        await s.execute(text("insert into kit_cases values ('case-9')"))
        await deadlines.schedule(s, "acceptance", "case-9", T0)

    async def handler(session, deadline):
        await asyncio.sleep(0.3)  # the request is waiting for the clock by now
        await session.execute(text("select id from kit_cases where id = :id for update"), {"id": deadline.subject_id})

    async with db.transaction() as request:
        await request.execute(text("select id from kit_cases where id = 'case-9' for update"))
        worker = asyncio.create_task(deadlines.fire_due(db, {"acceptance": handler}, now=T0 + timedelta(days=1)))
        await asyncio.sleep(0.1)  # the worker has claimed the clock; its handler will want the case
        cancelled = await deadlines.cancel(request, "acceptance", "case-9")
        assert cancelled is not None and cancelled.status == "cancelled"
    assert await asyncio.wait_for(worker, 10) == []
    assert await deadlines.fire_due(db, {"acceptance": handler}, now=T0 + timedelta(days=2)) == []


async def test_two_workers_never_fire_the_same_clock(db):
    async with db.transaction() as s:
        for i in range(40):
            await deadlines.schedule(s, "reply", f"c{i}", T0)
    handled: list[str] = []

    async def slow(session, deadline):
        handled.append(deadline.subject_id)
        await asyncio.sleep(0.01)

    other = Database(db.url, service="kitsvc")
    try:
        later = T0 + timedelta(days=1)
        await asyncio.gather(
            deadlines.fire_due(db, {"reply": slow}, now=later, limit=10),
            deadlines.fire_due(other, {"reply": slow}, now=later, limit=10),
            deadlines.fire_due(db, {"reply": slow}, now=later, limit=50),
        )
    finally:
        await other.dispose()
    assert len(handled) == len(set(handled)) == 40


def test_end_of_a_business_day_is_midnight_in_shanghai():
    assert deadlines.end_of_business_day(date(2025, 7, 16)).astimezone(UTC) == datetime(2025, 7, 16, 16, 0, tzinfo=UTC)


def test_visibility_platform_own_worker_own_oversight_all_others_nothing():
    platform = visibility(Principal(subject="p", role=Role.platform, platform_id="meituan"))
    worker = visibility(Principal(subject="w_" + "a" * 26, role=Role.worker))
    assert platform.allows(platform_id="meituan") and not platform.allows(platform_id="eleme")
    assert worker.allows(worker_id="w_" + "a" * 26, platform_id="any") and not worker.allows(worker_id="w_other")
    for role in (Role.regulator, Role.admin, Role.department):
        assert visibility(Principal(subject="x", role=role, department="hrss")).allows(platform_id="eleme")
    for role in (Role.mediator, Role.training_body, Role.worker_channel):
        assert visibility(Principal(subject="x", role=role)).nothing


async def _noop(session, deadline):
    return None


async def test_the_common_tables_take_64_bit_kafka_offsets_and_outbox_ids(new_database):
    """One migration in the common branch changes every service (here: a migrated contracts database)."""
    from newform_common.testing import execute, migrated_database, scalar

    url = await migrated_database(new_database, "contracts")
    await execute(
        url,
        'insert into inbox (consumer, event_id, type, topic, partition, "offset", outcome) '
        "values ('c', 'e1', 't.x.y.v1', 'topic', 0, 5000000000, 'handled')",
    )
    assert await scalar(url, "select \"offset\" from inbox where event_id = 'e1'") == 5_000_000_000
    assert (
        await scalar(
            url, "select data_type from information_schema.columns where table_name = 'outbox' and column_name = 'id'"
        )
        == "bigint"
    )


def test_a_lost_connection_is_an_outage_however_deep_it_is_wrapped_and_a_bad_statement_is_not():
    """The consumer dead-letters an event only for a failure of its own, never for a lost database
    connection (a chaos run dead-lettered a good event when PostgreSQL came back between the last
    attempt and the ping)."""
    from asyncpg.exceptions import ConnectionDoesNotExistError, UniqueViolationError

    from newform_common.errors import is_database_outage

    def wrapped(inner: BaseException) -> Exception:
        try:
            try:
                raise inner
            except BaseException as exc:
                raise RuntimeError("handler failed") from exc
        except RuntimeError as outer:
            return outer

    assert is_database_outage(wrapped(ConnectionDoesNotExistError("connection was closed in the middle")))
    assert is_database_outage(wrapped(ConnectionRefusedError(111, "refused")))
    assert not is_database_outage(wrapped(UniqueViolationError("duplicate key")))
    assert not is_database_outage(ValueError("a field is missing"))


async def test_an_autocommit_connection_lost_midway_is_not_pooled_again_and_one_after_a_bad_statement_is(db):
    """`Database.autocommit` hands out a pooled connection outside any transaction; a lost one is
    discarded (the next caller gets a fresh one), one that only ran a bad statement is reused."""
    async with db.autocommit() as conn:
        first = await conn.fetchval("select pg_backend_pid()")
    with pytest.raises(ConnectionResetError):
        async with db.autocommit() as conn:
            assert await conn.fetchval("select pg_backend_pid()") == first
            raise ConnectionResetError("the server went away")
    async with db.autocommit() as conn:
        fresh = await conn.fetchval("select pg_backend_pid()")
    assert fresh != first
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with db.autocommit() as conn:
            await conn.fetchval("select 1 / 0")
    async with db.autocommit() as conn:
        assert await conn.fetchval("select pg_backend_pid()") == fresh
        assert not conn.is_in_transaction()  # each statement commits on its own


async def test_a_request_that_loses_a_lock_race_is_told_to_retry_not_given_a_500():
    """PostgreSQL ends one side of a deadlock; when that side is a request, nothing was changed and the
    same request again goes through: 409 problem+json with Retry-After, never an internal error."""
    import httpx
    from asyncpg.exceptions import DeadlockDetectedError
    from fastapi import FastAPI
    from sqlalchemy.exc import DBAPIError

    from newform_common.errors import install_problem_handlers

    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/things")
    async def lose_a_race():
        raise DBAPIError("update things", {}, DeadlockDetectedError("deadlock detected"))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    ) as client:
        r = await client.post("/v1/things")
    assert r.status_code == 409 and r.headers["retry-after"] == "1"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/concurrent-change")
