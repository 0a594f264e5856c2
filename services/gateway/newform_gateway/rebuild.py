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
partition, not the topics.

`compare(live_url, rebuilt_url)` diffs the read models, ignoring the projection's own surrogate ids
and timestamps. Webhooks and deliveries are operational state, not read models: a rebuilt database
has none (old alerts are not re-sent).
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common import inbox
from newform_common.consumer import MALFORMED_TYPE, position_id
from newform_common.db import Database
from newform_common.events import Envelope, MalformedEvent
from newform_common.migrations import upgrade

from .config import Settings
from .main import context_for
from .projections import project, project_batch

log = logging.getLogger(__name__)

#: Read-model tables and the columns that are the projection's own (excluded from comparison).
READ_MODELS: dict[str, tuple[str, ...]] = {
    "event_log": ("seq", "logged_at"),
    "enterprises": (),
    "worker_registrations": (),
    "contracts": (),
    "account_restrictions": (),
    "rule_notices": (),
    "alerts": (),
    "alert_routes": (),
    "alert_transitions": ("id",),
    "credit_records": (),
    "dispute_complaints": (),
    "dispute_cases": (),
    "dispute_clock_expiries": (),
    "dispute_legal_aid": (),
}


async def create_fresh_database(server_url: str) -> str:
    """A new, empty database next to `server_url`'s; returns its URL."""
    url = make_url(server_url)
    name = f"newform_gateway_rebuild_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create `url`'s database if its server does not have it; True if it was created."""
    target = make_url(url)
    engine = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = (await conn.execute(text("select 1 from pg_database where datname = :n"),
                                         {"n": target.database})).first()
            if exists:
                return False
            quoted = '"' + (target.database or "").replace('"', '""') + '"'
            await conn.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        await engine.dispose()


async def _partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    if not topics:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="gateway-rebuild")
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"])


async def _merged_snapshot(settings: Settings, topics_found: list[str],
                           poison: list[dict[str, Any]] | None = None) -> AsyncIterator[tuple]:
    """Every record of the matching topics up to the end offsets taken at the start, merged across
    partitions by (event time, topic, partition, offset) — streamed: each partition holds at most
    one fetch in memory, and the next record is always the earliest head among the partitions."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    await consumer.start()
    try:
        pattern = re.compile(settings.topic_pattern)
        topics_found.extend(sorted(t for t in await consumer.topics() if pattern.match(t)))
        partitions = await _partitions(settings.kafka_bootstrap_servers, topics_found)
        if not partitions:
            return
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        buffers: dict[TopicPartition, deque] = {tp: deque() for tp in partitions}
        open_partitions = {tp for tp in partitions if end[tp] > 0 and await consumer.position(tp) < end[tp]}
        heads: list[tuple] = []  # one entry per partition with a buffered record: its sort key

        async def refill(wanted: set[TopicPartition]) -> None:
            """Fetch until every partition in `wanted` has a record buffered or is read to its end."""
            while wanted:
                batch = await consumer.getmany(*wanted, timeout_ms=1000)
                for tp, recs in batch.items():
                    for r in recs:
                        if r.offset >= end[tp]:
                            continue
                        try:
                            env = Envelope.from_kafka(r.key, r.value, list(r.headers or []), topic=tp.topic,
                                                      partition=tp.partition, offset=r.offset)
                        except MalformedEvent as exc:
                            # The live runner dead-lettered it already (once): skip it, say so.
                            if poison is not None:
                                poison.append({"topic": tp.topic, "partition": tp.partition, "offset": r.offset,
                                               "reason": f"malformed: {exc}"})
                            continue
                        buffers[tp].append((env.time, tp.topic, tp.partition, r.offset, env))
                for tp in list(wanted):
                    if await consumer.position(tp) >= end[tp]:
                        open_partitions.discard(tp)
                    if buffers[tp] or tp not in open_partitions:
                        wanted.discard(tp)

        await refill(set(open_partitions))
        for tp, buffer in buffers.items():
            if buffer:
                heapq.heappush(heads, (buffer[0][:4], tp))
        while heads:
            _, tp = heapq.heappop(heads)
            yield buffers[tp].popleft()
            if not buffers[tp] and tp in open_partitions:
                await refill({tp})
            if buffers[tp]:
                heapq.heappush(heads, (buffers[tp][0][:4], tp))
    finally:
        await consumer.stop()


async def rebuild(settings: Settings, into: str | None = None, *, batch: int = 2000) -> dict[str, Any]:
    """Replay every topic into a fresh database (`into`, created if its server lacks it; else a new one
    beside the live database). A database this call created is dropped again if the replay fails, so
    a failure never leaves a partial copy that looks like a rebuild."""
    if into:
        target, created = into, await ensure_database(into)
    else:
        target, created = await create_fresh_database(settings.database_url), True
    try:
        return await _replay(settings, target, batch)
    except BaseException:
        if created:
            try:
                await drop_database(target)
            except Exception as exc:  # the replay's own error is the one to report
                log.warning("rebuild: could not drop the partial database %s: %s", target, exc)
        raise


async def drop_database(url: str) -> None:
    target = make_url(url)
    engine = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            quoted = '"' + (target.database or "").replace('"', '""') + '"'
            await conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        await engine.dispose()


async def _replay(settings: Settings, target: str, batch: int) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, "newform_gateway", target)
    ctx = context_for(settings)
    group = f"{settings.consumer_group}-rebuild-{uuid.uuid4().hex[:8]}"
    topics: list[str] = []
    db = Database(target, service=settings.service_name)
    handled = failed = 0
    poison: list[dict[str, Any]] = []
    try:
        chunk: list = []

        async def flush() -> None:
            """A chunk in one transaction, set-based like the live consumer; if any event in it fails,
            the chunk again event by event (a savepoint each), skipping those that fail."""
            nonlocal handled, failed
            envelopes = [env for *_, env in chunk]
            try:
                async with db.transaction() as session:
                    fresh = await inbox.claim_many(session, consumer=group, envelopes=envelopes)
                    new = []
                    for env in envelopes:
                        if env.id in fresh:
                            fresh.discard(env.id)
                            new.append(env)
                    await project_batch(session, new, ctx)
                handled += len(new)
            except Exception as exc:
                log.info("rebuild: a chunk of %d failed (%s); projecting it event by event", len(chunk), exc)
                await flush_one_by_one()
            chunk.clear()

        async def flush_one_by_one() -> None:
            nonlocal handled, failed
            async with db.transaction() as session:
                for _, topic, partition, offset, env in chunk:
                    try:
                        async with session.begin_nested():
                            fresh = await inbox.claim(session, consumer=group, event_id=env.id, type_=env.type,
                                                      topic=topic, partition=partition, offset=offset)
                            if fresh:
                                await project(session, env, ctx)
                                handled += 1
                    except Exception as exc:  # as the live runner would dead-letter it
                        failed += 1
                        poison.append({"topic": topic, "partition": partition, "offset": offset,
                                       "reason": f"{type(exc).__name__}: {str(exc)[:300]}"})
                        log.warning("rebuild: event %s (%s) not projected: %s", env.id, env.type, exc)
                        await inbox.claim(session, consumer=group, event_id=env.id, type_=env.type, topic=topic,
                                          partition=partition, offset=offset, outcome="dead_lettered")

        async for item in _merged_snapshot(settings, topics, poison):
            chunk.append(item)
            if len(chunk) >= batch:
                await flush()
        if chunk:
            await flush()
        async with db.transaction() as session:  # the malformed ones, as the live runner's inbox has them
            for p in poison:
                if p["reason"].startswith("malformed: "):
                    failed += 1
                    await inbox.claim(session, consumer=group, event_id=position_id(p["topic"], p["partition"],
                                                                                   p["offset"]),
                                      type_=MALFORMED_TYPE, topic=p["topic"][:200], partition=p["partition"],
                                      offset=p["offset"], outcome="dead_lettered")
    finally:
        await db.dispose()
    return {"database_url": target, "topics": topics, "events": handled, "failed": failed,
            "poison": poison[:100], "consumer_group": group}


async def _rows(url: str, table: str, excluded: tuple[str, ...]) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            drop = "".join(f" - '{c}'" for c in excluded)
            rows = await conn.execute(text(f"select (to_jsonb(t){drop})::text from {table} t"))
            return sorted(json.dumps(json.loads(r[0]), sort_keys=True, ensure_ascii=False) for r in rows)
    finally:
        await engine.dispose()


async def compare(live_url: str, rebuilt_url: str) -> dict[str, dict[str, list[str]]]:
    """Differences per read-model table ({} when the rebuilt read models equal the live ones)."""
    diffs: dict[str, dict[str, list[str]]] = {}
    for table, excluded in READ_MODELS.items():
        live, rebuilt = await _rows(live_url, table, excluded), await _rows(rebuilt_url, table, excluded)
        if live != rebuilt:
            live_set, rebuilt_set = set(live), set(rebuilt)
            diffs[table] = {"only_live": sorted(live_set - rebuilt_set)[:20],
                            "only_rebuilt": sorted(rebuilt_set - live_set)[:20]}
    return diffs
