"""Rebuild the read models by replaying every event topic from the beginning (design: "every read
model can be rebuilt by replaying the topics from the start").

`rebuild(settings)` snapshots the end offsets of every topic matching the gateway's pattern, reads
each partition from offset 0 up to that snapshot, and projects the events into a fresh database
(schema by the migrations), recording them in its inbox under a fresh consumer group id.

Order: the live gateway sees events in arrival order; a replay reads partitions independently. So
the replay merges all partitions by event time (each partition keeping its own order) — which puts
the gateway's own `gateway.alert.*` actions after the findings they act on, as they happened.
(Limits: a finding whose event time precedes a resolution but which reached the live gateway
after it can be merged differently on replay.) The merge streams: memory holds one fetch per
partition, not the topics (`topic_merge.py`).

`rebuild_from_log(source_url, into)` (`newform gateway rebuild --from-log`) rebuilds from a live
database's event log instead, without Kafka (whose reading alone, ~100,000 events/s, caps a replay): the
log is copied in one binary COPY stream, each slice's high-volume types are projected by SQL over the
whole log (`slices.LOG_PROJECTIONS`), the other types stream through the Python projections in the
replay's order (event time, then seq). Its result `compare`s equal to the live read models
(tests/gateway/test_projections.py).

`compare(live_url, rebuilt_url)` diffs the read models, ignoring the projection's own surrogate ids
and timestamps. Webhooks and deliveries are operational state, not read models: a rebuilt database
has none (old alerts are not re-sent).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from newform_common import bulk, inbox
from newform_common.consumer import MALFORMED_TYPE, position_id
from newform_common.db import Database
from newform_common.events import Envelope
from newform_common.migrations import upgrade

from . import repository, slices
from .config import DEFAULT_CREDIT_RULES, Settings
from .credit.rules import CreditRules
from .main import context_for
from .projections.base import Context, LogProjection
from .projections.runner import apply_projections, log_events, project
from .topic_merge import merged_chunks

log = logging.getLogger(__name__)

#: Read-model tables and the columns that are the projection's own (excluded from comparison): the
#: gateway's own, and each source slice's (`slices.read_models`).
READ_MODELS: dict[str, tuple[str, ...]] = {
    "event_log": ("seq", "logged_at"),
    "alerts": (),
    "alert_routes": (),
    "alert_transitions": ("id",),
    # a record held for an unknown subject is released when the rebuild meets the enterprise (not when live did)
    "credit_records": ("subject_known_at",),
    "credit_listings": (),
    **slices.read_models(),
    "read_counters": (),
}
#: Rows left out of the comparison: a counter the live triggers brought back to zero is a row with n = 0;
#: a rebuild, counting once, writes none (the readers skip zeros alike).
NOT_COMPARED = {"read_counters": "n = 0"}


async def rebuild(settings: Settings, into: str | None = None, *, batch: int = 5000) -> dict[str, Any]:
    """Replay every topic into a fresh database (`into`, created if its server lacks it, else it must
    hold no events yet; by default a new one beside the live database). A database this call created
    is dropped again if the replay fails, so a failure never leaves a partial copy that looks like a
    rebuild."""
    return await _into_fresh(settings.database_url, into, lambda target: _replay(settings, target, batch))


async def _into_fresh(
    live_url: str, into: str | None, run: Callable[[str], Awaitable[dict[str, Any]]], made: str | None = None
) -> dict:
    """`run(target)` on `into` (created if missing) or on a new database beside `live_url`'s (or on `made`,
    created by the caller); a database created here is dropped again if `run` fails."""
    if made:
        target, created = made, True
    elif into:
        target, created = into, await repository.ensure_database(into)
    else:
        target, created = await repository.create_fresh_database(live_url), True
    try:
        return await run(target)
    except BaseException:
        if created:
            try:
                await repository.drop_database(target)
            except Exception as exc:  # the replay's own error is the one to report
                log.warning("rebuild: could not drop the partial database %s: %s", target, exc)
        raise


class TargetNotEmpty(RuntimeError):
    """The target database holds events already: a rebuild goes into an empty one."""


async def _defer_upkeep(db: Database) -> list[str]:
    """What PostgreSQL would redo for every chunk is done once at the end (`_finish_upkeep`): the
    counting triggers are suspended, and the event log's secondary indexes (nothing reads them during
    a replay) are dropped; returns their definitions."""
    async with db.transaction() as session:
        if await repository.holds_events(session):
            raise TargetNotEmpty(
                f"{repository.database_name(db.url)} holds events already; rebuild into a new or empty database"
            )
        await repository.suspend_counting(session)
        return await repository.drop_event_log_indexes(session)


async def _finish_upkeep(db: Database, indexes: list[str]) -> None:
    async with db.transaction() as session:
        await repository.create_indexes(session, indexes)
        await repository.count_all(session)


@dataclass
class _Replay:
    """Chunks into the target database, counted; the events that failed, as the live runner would
    dead-letter them."""

    db: Database
    group: str
    ctx: Context
    handled: int = 0
    failed: int = 0
    poison: list[dict[str, Any]] = field(default_factory=list)

    async def flush(self, chunk: list[Envelope]) -> None:
        """A chunk in one transaction, set-based like the live consumer (COPY into the log and the
        inbox: none of it is there yet); if any event in it fails, the chunk again event by event
        (a savepoint each), skipping those that fail. A crash loses the rebuild, not a fact: its
        commits need not wait for the disk."""
        try:
            with bulk.collector_paused():
                async with self.db.transaction() as session:
                    await repository.commit_without_waiting(session)
                    await inbox.record_new(session, consumer=self.group, envelopes=chunk)
                    await log_events(session, chunk, fresh=True)
                    await apply_projections(session, chunk, self.ctx)
            self.handled += len(chunk)
        except Exception as exc:
            log.info("rebuild: a chunk of %d failed (%s); projecting it event by event", len(chunk), exc)
            await self.flush_one_by_one(chunk)

    async def flush_one_by_one(self, chunk: list[Envelope]) -> None:
        async with self.db.transaction() as session:
            for env in chunk:
                try:
                    async with session.begin_nested():
                        await self._claim(
                            session, env.id, env.type, env.topic or "", env.partition or 0, env.offset or 0
                        )
                        await project(session, env, self.ctx)
                        self.handled += 1
                except Exception as exc:  # as the live runner would dead-letter it
                    self.failed += 1
                    self.poison.append(
                        {
                            "topic": env.topic,
                            "partition": env.partition,
                            "offset": env.offset,
                            "reason": f"{type(exc).__name__}: {str(exc)[:300]}",
                        }
                    )
                    log.warning("rebuild: event %s (%s) not projected: %s", env.id, env.type, exc)
                    await self._claim(
                        session,
                        env.id,
                        env.type,
                        env.topic or "",
                        env.partition or 0,
                        env.offset or 0,
                        outcome="dead_lettered",
                    )

    async def _claim(self, session, event_id: str, type_: str, topic: str, partition: int, offset: int, **kw) -> None:
        await inbox.claim(
            session,
            consumer=self.group,
            event_id=event_id,
            type_=type_,
            topic=topic,
            partition=partition,
            offset=offset,
            **kw,
        )

    async def dead_letter_malformed(self) -> None:
        """The malformed records, as the live runner's inbox has them."""
        async with self.db.transaction() as session:
            for p in self.poison:
                if p["reason"].startswith("malformed: "):
                    self.failed += 1
                    await self._claim(
                        session,
                        position_id(p["topic"], p["partition"], p["offset"]),
                        MALFORMED_TYPE,
                        p["topic"][:200],
                        p["partition"],
                        p["offset"],
                        outcome="dead_lettered",
                    )


async def _stream(settings: Settings, topics: list[str], batch: int, replay: _Replay) -> None:
    """Pipelined: while a chunk is written (the database's work), the next one is read and parsed;
    chunks are still written one after the other, in order."""
    seen: set[str] = set()  # the event ids replayed: the database is empty, so the inbox is this set
    writing: asyncio.Task | None = None
    try:
        # The collector would re-walk the buffered events over and over (40% of the replay's
        # CPU, py-spy): off while it runs (bulk.collector_paused collects every 10 s).
        with bulk.collector_paused():
            async for chunk in merged_chunks(settings, topics, batch, replay.poison):
                new = []
                for env in chunk:
                    if env.id not in seen:  # the same event twice (a producer's retry) is projected once
                        seen.add(env.id)
                        new.append(env)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(replay.flush(new))
            if writing is not None:
                await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)


async def _replay(settings: Settings, target: str, batch: int) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, "newform_gateway", target)
    ctx = dataclasses.replace(context_for(settings), webhooks=False)  # none here; old alerts are not re-sent
    group = f"{settings.consumer_group}-rebuild-{uuid.uuid4().hex[:8]}"
    topics: list[str] = []
    db = Database(target, service=settings.service_name)
    replay = _Replay(db, group, ctx)
    try:
        deferred = await _defer_upkeep(db)
        try:
            await _stream(settings, topics, batch, replay)
            await replay.dead_letter_malformed()
        except BaseException:
            try:  # a partial database (one given with --into is kept) still counts what it holds
                await _finish_upkeep(db, deferred)
            except Exception as exc:  # the replay's own error is the one to report
                log.warning("rebuild: could not restore the triggers and indexes of %s: %s", target, exc)
            raise
        await _finish_upkeep(db, deferred)
    finally:
        await db.dispose()
    return {
        "database_url": target,
        "topics": topics,
        "events": replay.handled,
        "failed": replay.failed,
        "poison": replay.poison[:100],
        "consumer_group": group,
    }


async def rebuild_from_log(
    source_url: str, into: str | None = None, *, ctx: Context | None = None, chunk: int = 20_000
) -> dict[str, Any]:
    """Rebuild from the event log at `source_url` instead of the topics: its rows are copied into a fresh
    database (`into`, as `rebuild` takes it), then the read models are made from them — each slice's
    high-volume types in SQL over the whole log (`slices.LOG_PROJECTIONS`), every other type through the
    Python projections in event-time order (then log order: as `rebuild` merges the topics, so that an
    action follows the finding it acts on even in a log written out of order), `chunk` events a
    transaction. Returns the target's URL, the events, the facts the SQL wrote and the seconds taken.

    When the target is new and on the source's server and nothing is connected to the source (a
    benchmark's, a restored backup's), the source database is cloned instead (CREATE DATABASE …
    TEMPLATE: its files copied, the log's JSON not parsed again) and everything but the log emptied."""
    context = ctx or Context(credit_rules=CreditRules.load(DEFAULT_CREDIT_RULES), webhooks=False)
    clone = await repository.clone_database(source_url, into)
    return await _into_fresh(
        source_url, into, lambda target: _from_log(source_url, target, context, chunk, clone is not None), clone
    )


async def _from_log(source_url: str, target: str, ctx: Context, chunk: int, cloned: bool) -> dict[str, Any]:
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, "newform_gateway", target)
    db = Database(target, service="gateway-rebuild")
    timings: dict[str, float] = {}
    try:
        deferred = [] if cloned else await _defer_upkeep(db)
        try:
            async with db.transaction() as session:
                await repository.commit_without_waiting(session)
                if cloned:
                    await repository.empty_all_but_the_log(session)
                    await repository.suspend_counting(session)
                    events = await repository.logged_count(session)
                else:
                    events = await repository.copy_event_log(source_url, session)
            timings["copy"] = time.perf_counter() - started
            async with db.transaction() as session:  # the projections read the log by type, in order
                await repository.create_indexes(session, deferred)
                await repository.analyze_event_log(session)
            deferred, timings["indexes"] = [], time.perf_counter() - started
            facts = await _project_in_sql(db, [p for p in slices.LOG_PROJECTIONS if not p.alongside])
            timings["sql"] = time.perf_counter() - started
            # the SQL of tables no Python projection touches runs beside the Python stream, each projection on
            # its own connection (the server's cores share them; the Python stream waits on the server mostly)
            alongside = [p for p in slices.LOG_PROJECTIONS if p.alongside]
            *beside, rest = await asyncio.gather(
                *(_timed(_project_in_sql(db, [p]), timings, f"sql_alongside_{p.tables[0]}") for p in alongside),
                _timed(_project_the_rest(db, ctx, chunk), timings, "python_alone"),
            )
            facts += sum(beside)
            timings["python_and_sql_alongside"] = time.perf_counter() - started
        finally:
            await _finish_upkeep(db, deferred)
    finally:
        await db.dispose()
    seconds = time.perf_counter() - started
    timings["counters"] = seconds
    return {
        "database_url": target,
        "events": events,
        "facts": facts,
        "events_in_python": rest,
        "seconds": round(seconds, 3),
        "events_per_s": round(events / seconds) if seconds else None,
        "facts_per_s": round(facts / seconds) if seconds else None,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }


async def _timed(work: Awaitable[int], timings: dict[str, float], name: str) -> int:
    """`work`'s result; its own seconds into `timings[name]` (the phases above are cumulative)."""
    started = time.perf_counter()
    try:
        return await work
    finally:
        timings[name] = time.perf_counter() - started


async def _project_in_sql(db: Database, projections: list[LogProjection]) -> int:
    facts = 0
    for projection in projections:
        async with db.transaction() as session:
            await repository.commit_without_waiting(session)
            await repository.use_memory_for_sorts(session)
            indexes = [
                i for table in projection.tables for i in await repository.drop_secondary_indexes(session, table)
            ]
            facts += await projection.apply(session)
            await repository.create_indexes(session, indexes)
    return facts


async def _project_the_rest(db: Database, ctx: Context, chunk: int) -> int:
    """Every type no LOG_PROJECTION takes, through the Python projections, `chunk` events a transaction."""
    skip = sorted(set().union(*(p.types for p in slices.LOG_PROJECTIONS)))
    after: tuple[datetime, int] | None = None
    projected = 0
    with bulk.collector_paused():
        while True:
            async with db.transaction() as session:
                await repository.commit_without_waiting(session)
                await repository.plan_for_current_sizes(session)
                rows = await repository.logged_after(session, after, skip, chunk)
                if not rows:
                    return projected
                await apply_projections(session, [_envelope(r) for r in rows], ctx)
            after, projected = (rows[-1]["time"], rows[-1]["seq"]), projected + len(rows)


def _envelope(row: Any) -> Envelope:
    return Envelope(
        id=row["event_id"],
        source=row["source"],
        type=row["type"],
        time=row["time"],
        key=row["key"],
        data=orjson.loads(row["data"]),
        subject=row["subject"],
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
    )


async def compare(live_url: str, rebuilt_url: str) -> dict[str, dict[str, list[str]]]:
    """Differences per read-model table ({} when the rebuilt read models equal the live ones)."""
    diffs: dict[str, dict[str, list[str]]] = {}
    for table, excluded in READ_MODELS.items():
        live = await repository.table_rows(live_url, table, excluded, NOT_COMPARED.get(table))
        rebuilt = await repository.table_rows(rebuilt_url, table, excluded, NOT_COMPARED.get(table))
        if live != rebuilt:
            live_set, rebuilt_set = set(live), set(rebuilt)
            diffs[table] = {
                "only_live": sorted(live_set - rebuilt_set)[:20],
                "only_rebuilt": sorted(rebuilt_set - live_set)[:20],
            }
    return diffs
