"""The outbox relay: publishes committed outbox rows to Kafka, at least once, in order per key.

Woken right after a commit that wrote outbox rows, with a polling fallback. Several instances of
a service may run relays: each batch is taken under a transaction-scoped advisory lock per topic,
so only one instance publishes at a time (per-key order survives a fail-over; `FOR UPDATE SKIP
LOCKED` alone would let two instances publish interleaved batches of the same key out of order).
If Kafka is unreachable the batch is left unpublished and retried with back-off until it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from . import metrics
from .db import Database, driver_connection
from .events import CONTENT_TYPE, SPEC_VERSION
from .kafka import make_producer
from .outbox import OutboxRow, topic_for
from .tasks import cancel_and_wait

log = logging.getLogger(__name__)

SPEC, JSON = SPEC_VERSION.encode(), CONTENT_TYPE.encode()
# The headers match Envelope.kafka_headers (CloudEvents binary mode); the value is the stored JSON.
# The topic's advisory lock is taken in the same round trip: an uncorrelated sub-select is evaluated
# once (a one-time filter), so an instance without the lock reads nothing and scans nothing.
_NEXT_BATCH = """
select id, event_id, topic, key, type, source, subject, time, data::text as data
from outbox where published_at is null and (select pg_try_advisory_xact_lock($2))
order by id limit $1
for update skip locked
"""
_MARK_PUBLISHED = "update outbox set published_at = now(), last_error = null where id = any($1::bigint[])"


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        bootstrap_servers: str,
        *,
        batch_size: int = 2000,
        poll_interval: float = 1.0,
        max_backoff: float = 10.0,
        retention: timedelta = timedelta(days=7),
        coalesce: float = 0.01,
    ):
        self.db = db
        self.bootstrap_servers = bootstrap_servers
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.retention = retention
        # At most one publish cycle per `coalesce` seconds: under load, the commits of that interval go
        # out as one batch (a cycle per request would cost more CPU than the request itself), while a
        # commit after a quiet spell is published at once (no fixed wait on the freshness path).
        self.coalesce = coalesce
        self._cycle_started = 0.0
        self._backlog_counted_at = 0.0
        self.topic = topic_for(db.service)
        self._lock_id = zlib.crc32(self.topic.encode())
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._producer: AIOKafkaProducer | None = None
        self._last_cleanup = datetime.min.replace(tzinfo=UTC)
        db.on_outbox_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.db.service}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self._close_producer()

    async def _producer_ready(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = make_producer(self.bootstrap_servers, client_id=f"{self.db.service}-relay")
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        if self._producer is not None:
            try:
                await self._producer.stop()
            except Exception:  # a dead broker must not keep the service from stopping
                log.debug("producer stop failed", exc_info=True)
            self._producer = None

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                self._cycle_started = time.monotonic()
                published = await self.publish_batch()
                backoff = 0.2
                if published >= self.batch_size:
                    continue  # more may be waiting
                await self._maybe_cleanup()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay for %s failed, retrying in %.1fs: %s", self.topic, backoff, exc)
                await self._close_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
                await asyncio.sleep(max(0.0, self._cycle_started + self.coalesce - time.monotonic()))
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published."""
        failed: tuple[list[int], Exception] | None = None
        published = 0
        async with self.db.transaction() as session:
            # The driver's rows, with the data as the JSON text PostgreSQL stores: it is sent as it is,
            # not decoded to dicts and encoded again. None while another instance holds the topic's lock.
            conn = await driver_connection(session)
            rows = await conn.fetch(_NEXT_BATCH, self.batch_size, self._lock_id)
            if rows:
                try:
                    await self._publish(rows)
                except Exception as exc:
                    failed = ([r["id"] for r in rows], exc)
                else:
                    await self._mark_published(conn, [r["id"] for r in rows])
                    published = len(rows)
            backlog = await self._count_backlog(session)
        if backlog is not None:
            metrics.OUTBOX_BACKLOG.labels(self.db.service).set(backlog - published)
        if failed is not None:
            # Noted after the batch's transaction ended: its row locks would block this update.
            await self._note_failure(*failed)
            raise failed[1]
        metrics.OUTBOX_PUBLISHED.labels(self.db.service).inc(published)
        return published

    async def _count_backlog(self, session: AsyncSession) -> int | None:
        """The unpublished-row count for /metrics, at most every 5 s (a count per batch costs too much)."""
        now = time.monotonic()
        if now - self._backlog_counted_at < 5.0:
            return None
        self._backlog_counted_at = now
        return (await session.execute(select(func.count()).where(col(OutboxRow.published_at).is_(None)))).scalar_one()

    async def _publish(self, rows: Sequence[Mapping[str, Any]]) -> None:
        producer = await self._producer_ready()
        futures = []
        for row in rows:
            headers = [
                ("ce_specversion", SPEC),
                ("ce_id", row["event_id"].encode()),
                ("ce_source", row["source"].encode()),
                ("ce_type", row["type"].encode()),
                ("ce_time", row["time"].isoformat().encode()),
                ("content-type", JSON),
            ]
            if row["subject"] is not None:
                headers.append(("ce_subject", row["subject"].encode()))
            futures.append(
                await producer.send(row["topic"], row["data"].encode(), key=row["key"].encode(), headers=headers)
            )
        await asyncio.gather(*futures)

    async def _mark_published(self, conn: Any, ids: list[int]) -> None:
        await conn.execute(_MARK_PUBLISHED, ids)

    async def _note_failure(self, ids: list[int], exc: Exception) -> None:
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(OutboxRow)
                    .where(col(OutboxRow.id).in_(ids))
                    .values(attempts=OutboxRow.attempts + 1, last_error=str(exc)[:500])
                )
        except Exception:
            log.debug("could not note relay failure", exc_info=True)

    async def _maybe_cleanup(self) -> None:
        now = datetime.now(UTC)
        if now - self._last_cleanup < timedelta(minutes=10):
            return
        self._last_cleanup = now
        async with self.db.transaction() as session:
            await session.execute(delete(OutboxRow).where(col(OutboxRow.published_at) < now - self.retention))
