"""Migration 0006_event_log_by_month on a gateway that logged events before it: the rows move into their
months' partitions (Asia/Shanghai months), the counters stay as they were and keep counting; an event
appended for a month without a partition (years back) gets one; the same event delivered again is
logged once; the rebuild's upkeep (indexes dropped and restored, counting suspended and redone) works
on the partitioned log (issue 25)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common.db import Database
from newform_common.migrations import upgrade
from newform_common.testing import scalar
from newform_gateway import repository
from newform_gateway.rebuild import rebuild_from_log


async def _execute(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _event(event_id: str, at: str, type_: str = "contracts.contract.drafted.v1") -> str:
    return (
        "insert into event_log (event_id, type, source, service, key, time, data, worker_id, platform_id) values "
        f"('{event_id}', '{type_}', 'newform/contracts', 'contracts', 'k', '{at}', "
        f"'{json.dumps({'contract_id': event_id})}'::jsonb, 'w1', 'plt-p')"
    )


def _row(event_id: str, at: datetime) -> dict:
    return dict(
        event_id=event_id,
        type="contracts.contract.drafted.v1",
        source="newform/contracts",
        service="contracts",
        subject=None,
        key="k",
        time=at,
        data={"contract_id": event_id},
        worker_id="w1",
        platform_id="plt-p",
        topic="contracts.events",
        partition=0,
        offset=1,
    )


async def test_the_event_log_moves_into_month_partitions_and_keeps_counting(new_database):
    url = new_database("gwparts")
    await asyncio.to_thread(upgrade, "newform_gateway", url, "gw_contracts_0002")
    # 2026-11-30 20:00 UTC is 1 December in Xining: December's partition, counted on 12-01
    await _execute(url, _event("e1", "2019-03-05T10:00:00+00:00"), _event("e2", "2026-11-30T20:00:00+00:00"))
    days = "select string_agg(key || '=' || n, ',' order by key) from read_counters where dimension = 'day_contracts'"
    assert await scalar(url, days) == "2019-03-05=1,2026-12-01=1"

    await asyncio.to_thread(upgrade, "newform_gateway", url)

    where = "select tableoid::regclass::text from event_log where event_id = :e"
    assert await scalar(url, where, e="e1") == "event_log_y2019m03"
    assert await scalar(url, where, e="e2") == "event_log_y2026m12"
    assert await scalar(url, "select relkind::text from pg_class where relname = 'event_log'") == "p"
    assert await scalar(url, days) == "2019-03-05=1,2026-12-01=1"
    await _execute(url, _event("e3", "2026-12-02T02:00:00+00:00"))  # the triggers count on the partitioned log
    assert await scalar(url, days) == "2019-03-05=1,2026-12-01=1,2026-12-02=1"

    db = Database(url, service="gateway")
    try:
        async with db.transaction() as session:
            back_dated = datetime(2012, 7, 9, 3, tzinfo=UTC)
            await repository.append_events(
                session, [_row("e4", back_dated), _row("e2", datetime.fromisoformat("2026-11-30T20:00:00+00:00"))]
            )
            await repository.append_events(session, [_row("e4", back_dated)])  # delivered again: logged once
        assert await scalar(url, where, e="e4") == "event_log_y2012m07"
        assert await scalar(url, "select count(*) from event_log where event_id in ('e2', 'e4')") == 2

        # a rebuild's upkeep on the partitioned log
        async with db.transaction() as session:
            await repository.suspend_counting(session)
            indexes = await repository.drop_event_log_indexes(session)
        # 0001's four, 0008's partial one, 0009's four references
        assert len(indexes) == 9 and all(" ON ONLY " not in d for d in indexes)
        await _execute(url, "delete from read_counters", _event("e5", "2026-12-02T03:00:00+00:00"))
        async with db.transaction() as session:
            await repository.create_indexes(session, indexes)
            await repository.count_all(session)
    finally:
        await db.dispose()
    assert await scalar(url, days) == "2012-07-09=1,2019-03-05=1,2026-12-01=1,2026-12-02=2"
    on_partition = (
        "select count(*) from pg_indexes where tablename = 'event_log_y2026m12' and indexdef not like '%UNIQUE%'"
    )
    assert await scalar(url, on_partition) == 9


async def test_a_rebuild_from_a_log_nobody_is_connected_to_clones_it_and_empties_the_rest(new_database, postgres):
    """The benchmark's case (and a restored backup's): the source database is copied by the server from
    its files, the log kept, every other table emptied, the read models projected again and counted."""
    url = new_database("gwclone")
    await asyncio.to_thread(upgrade, "newform_gateway", url)
    line = {
        "line_id": "l1",
        "statement_id": "st1",
        "worker_id": "w1",
        "contract_id": "c1",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "due_date": "2026-12-10",
        "gross_fen": 1,
        "net_due_fen": 1,
        "paid_fen": 1,
        "paid_on": None,
        "worked_minutes": 1,
        "status": "judged",
    }
    statements = json.dumps({"batch_id": "b1", "platform_id": "plt-p", "lines": [line]})
    await _execute(
        url,
        _event("e1", "2026-11-03T10:00:00+00:00", "contracts.not_read_by_the_gateway.v1"),
        "insert into event_log (event_id, type, source, service, key, time, data) values ('e2', "
        f"'wages.statements.accepted.v1', 'newform/wages', 'wages', 'k', '2026-12-03T10:00:00+00:00', '{statements}')",
        # what a live database holds besides its log: a consumer's inbox, a stale read-model row
        'insert into inbox (consumer, event_id, type, topic, partition, "offset", outcome) '
        "values ('g', 'e1', 't', 't', 0, 0, 'handled')",
        "insert into wage_quota_results values ('plt-p', 'rider', '2026-11-03', 30, 1, 1, true)",
    )
    into = postgres.url(f"gwclone_into_{uuid.uuid4().hex[:8]}")
    try:
        result = await rebuild_from_log(url, into)
        assert result["database_url"] == into and result["events"] == 2 and result["facts"] == 1
        assert await scalar(into, "select count(*) from event_log") == 2
        assert await scalar(into, "select count(*) from inbox") == 0
        assert await scalar(into, "select count(*) from wage_quota_results") == 0  # no event made it
        assert await scalar(into, "select paid_on is null from wage_statements where statement_id = 'st1'")
        services = (
            "select string_agg(key || '=' || n, ',' order by key) from read_counters where dimension = 'services'"
        )
        assert await scalar(into, services) == "contracts=1,wages=1"
        assert await scalar(url, "select count(*) from inbox") == 1  # the source as it was
    finally:
        await repository.drop_database(into)
