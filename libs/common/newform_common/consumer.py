"""The consumer runner: Kafka → handler → database, effectively once.

For each poll (the records of all its partitions, each partition's in order): parse the CloudEvents,
then in ONE database transaction claim their ids in the inbox (one statement) and apply the new ones
(a per-event `handler`, or a `batch_handler` given them all at once, e.g. to write a log in one
statement); offsets are committed to Kafka only after the database commit (one commit per poll, not
per event: the fsync is what costs), in the background while the next poll is handled. If anything
in a batch fails, its transaction rolls back and the batch is handled again event by event, each in
its own transaction with retries, in order. A redelivered event finds its id in the inbox and
changes nothing. An event that cannot be parsed (`Envelope.from_kafka` checks every attribute
against the bounds of the columns it is written to, so nothing half-written can fail later), or
whose handler fails `max_attempts` times while the database is reachable, goes to `<topic>.dlq`
once, with the reason in its headers: it is recorded in the inbox as dead-lettered (by event id, or
by Kafka position when it has none) in a transaction that commits after the broker's
acknowledgement, its offset is committed, and the runner goes on. With the database down, nothing is
dead-lettered: the runner waits and reconnects. A runner given `types` passes over (after parsing,
before the inbox) the events of other types on its topics.

A runner given `coalesce` starts at most one poll per `coalesce` seconds while events keep coming
(the relay's rule): an event after a quiet spell is handled at once, and under load the records of
that interval are one poll, one transaction and one offset commit instead of one each per relay
cycle (issue 25: with every service running, each create cost every consumer a poll, a transaction
and a commit of its own). Only the next poll waits: what a poll handled is committed and its offsets
sent as before, so a kill -9 loses nothing and a redelivery still changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError
from sqlalchemy.ext.asyncio import AsyncSession

from . import inbox, metrics
from .db import Database
from .errors import is_database_outage
from .events import Envelope, MalformedEvent
from .kafka import make_consumer, make_producer
from .tasks import cancel_and_wait

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[Envelope]], Awaitable[None]]


class DatabaseUnavailable(RuntimeError):
    """Handling stopped because the database is down; the runner reconnects and is redelivered."""


ALL_EVENT_TOPICS = r"^[a-z][a-z0-9_-]*\.events$"


class ConsumerRunner:
    def __init__(
        self,
        db: Database,
        bootstrap_servers: str,
        *,
        group_id: str,
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        topics: list[str] | None = None,
        pattern: str | None = None,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        batch_size: int = 500,
        types: Collection[str] | None = None,
        coalesce: float = 0.0,
    ):
        if bool(topics) == bool(pattern):
            raise ValueError("give either topics or a pattern")
        if (handler is None) == (batch_handler is None):
            raise ValueError("give either a handler (one event) or a batch_handler (a batch's new events)")
        self.db = db
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        # One way to apply events: a per-event handler is applied as a batch handler of its own.
        if batch_handler is None:
            assert handler is not None  # exactly one of the two was given (checked above)
            batch_handler = _one_by_one(handler)
        self.batch_handler: BatchHandler = batch_handler
        self.topics = topics
        self.pattern = pattern
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.batch_size = batch_size
        # The event types the handler acts on (None: every type). Others on the topics are passed over
        # before the inbox: with no effect there is nothing to deduplicate, and no transaction to pay.
        self.types = frozenset(types) if types is not None else None
        # At most one poll per `coalesce` seconds under load (0: poll again at once; see the module's text).
        self.coalesce = coalesce
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._dlq_producer: AIOKafkaProducer | None = None
        self.started = asyncio.Event()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group_id}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s stopped (%s); reconnecting in %.1fs", self.group_id, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)

    async def _consume(self) -> None:
        consumer = make_consumer(self.bootstrap_servers, group_id=self.group_id, client_id=self.group_id)
        if self.pattern:
            consumer.subscribe(pattern=self.pattern)
        else:
            consumer.subscribe(self.topics)
        self._dlq_producer = dlq_producer = make_producer(self.bootstrap_servers, client_id=f"{self.group_id}-dlq")
        committing: asyncio.Task[None] | None = None  # the last poll's offset commit
        try:
            await consumer.start()
            await dlq_producer.start()
            self._consumer = consumer
            self.started.set()
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                if not batches:
                    continue
                polled_at = time.monotonic()
                # Every partition of the poll in one transaction (each partition's records in order):
                # one inbox statement, one commit, whatever the number of partitions.
                await self._handle_batch([record for records in batches.values() for record in records])
                # The offsets go to Kafka while the next poll is handled: they only save redelivery
                # (the inbox makes a redelivered event change nothing), so they need not hold it up.
                # Commits stay in order: each waits for the one before.
                positions = {tp: records[-1].offset + 1 for tp, records in batches.items()}
                if committing is not None:
                    await committing
                committing = asyncio.create_task(consumer.commit(positions))
                for tp, records in batches.items():
                    self._report_lag(consumer, tp, records[-1].offset)
                # A full poll means more is waiting: no pause then. (The fetcher keeps filling its buffer
                # meanwhile; the next poll takes what the interval brought.)
                if self.coalesce and sum(map(len, batches.values())) < self.batch_size:
                    await asyncio.sleep(max(0.0, polled_at + self.coalesce - time.monotonic()))
        finally:
            self._consumer = None
            if committing is not None and not committing.done():
                # The last poll's offsets, if Kafka takes them soon: a commit waits out a rebalance,
                # and stopping must not (the events would only come again, and change nothing).
                try:
                    await asyncio.wait_for(committing, timeout=2)
                except (Exception, asyncio.CancelledError):
                    log.debug("last offset commit not made; those events will come again", exc_info=True)
            await consumer.stop()
            await dlq_producer.stop()

    def _report_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, last_offset: int) -> None:
        highwater = consumer.highwater(tp)
        if highwater is not None:
            metrics.CONSUMER_LAG.labels(self.group_id, tp.topic, tp.partition).set(max(highwater - last_offset - 1, 0))

    async def _handle_batch(self, records: list[ConsumerRecord]) -> None:
        """One poll's records, each partition's in order. Fast path: the whole batch in one transaction
        with one inbox statement. If anything in it fails, that transaction rolls back and the batch is
        handled event by event (retries, then the dead-letter topic), still in order."""
        try:
            applied = await self._apply_batch(records)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info(
                "batch of %d from %s failed (%s); handling its events one by one", len(records), records[0].topic, exc
            )
            for record in records:
                await self._handle(record)
            return
        self._observe_batch(applied)

    def _wanted(self, envelope: Envelope) -> bool:
        return self.types is None or envelope.type in self.types

    async def _apply_batch(self, records: list[ConsumerRecord]) -> list[Envelope]:
        envelopes = [envelope for envelope in map(_parse, records) if self._wanted(envelope)]
        if not envelopes:
            return []
        applied: list[Envelope] = []
        async with self.db.transaction() as session:
            fresh = await inbox.claim_many(session, consumer=self.group_id, envelopes=envelopes)
            for envelope in envelopes:
                if envelope.id in fresh:
                    fresh.discard(envelope.id)  # the same event twice in one batch is handled once
                    applied.append(envelope)
            if applied:
                await self.batch_handler(session, applied)
        return applied

    async def _claim(self, session: AsyncSession, record: ConsumerRecord, envelope: Envelope) -> bool:
        return await inbox.claim(
            session,
            consumer=self.group_id,
            event_id=envelope.id,
            type_=envelope.type,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )

    def _observe_batch(self, envelopes: list[Envelope]) -> None:
        """Metrics for a handled batch: one counter step per type, each event's freshness."""
        by_type: dict[str, int] = {}
        for envelope in envelopes:
            by_type[envelope.type] = by_type.get(envelope.type, 0) + 1
        for type_, count in by_type.items():
            metrics.EVENTS_HANDLED.labels(self.group_id, type_).inc(count)
        now = datetime.now(UTC)
        freshness = metrics.EVENT_FRESHNESS.labels(self.group_id)
        for envelope in envelopes:
            freshness.observe(max((now - envelope.time).total_seconds(), 0.0))

    def _observe(self, envelope: Envelope) -> None:
        metrics.EVENTS_HANDLED.labels(self.group_id, envelope.type).inc()
        lag = (datetime.now(UTC) - envelope.time).total_seconds()
        metrics.EVENT_FRESHNESS.labels(self.group_id).observe(max(lag, 0.0))

    async def _handle(self, record: ConsumerRecord) -> None:
        try:
            envelope = _parse(record)
        except MalformedEvent as exc:
            await self._dead_letter(record, None, f"malformed: {exc}")
            return
        if not self._wanted(envelope):
            return
        last_error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self.db.transaction() as session:
                    fresh = await self._claim(session, record, envelope)
                    if fresh:
                        await self.batch_handler(session, [envelope])
                if fresh:
                    self._observe(envelope)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                last_error = exc
                log.warning(
                    "handler failed for %s (%s), attempt %d/%d: %s",
                    envelope.id,
                    envelope.type,
                    attempt,
                    self.max_attempts,
                    exc,
                    exc_info=attempt == self.max_attempts,
                )
                await asyncio.sleep(self.retry_delay * attempt)
        # Dead-letter only a failure of the event's own: with the database unreachable every event
        # would fail, so stop here instead; offsets stay uncommitted and the events come again. A
        # failure that was the connection (even if the database is back by now: it came back
        # between the last attempt and this check, as a chaos run showed) is never the event's.
        if last_error is not None and is_database_outage(last_error):
            raise DatabaseUnavailable(f"database connection lost while handling {envelope.id}") from last_error
        try:
            await self.db.ping()
        except Exception as exc:
            raise DatabaseUnavailable(f"database unreachable while handling {envelope.id}") from exc
        await self._dead_letter(record, envelope, f"{type(last_error).__name__}: {last_error}")

    async def _dead_letter(self, record: ConsumerRecord, envelope: Envelope | None, reason: str) -> None:
        """Send the record to `<topic>.dlq` once: its inbox row (outcome `dead_lettered`, keyed by the
        event id, or by its Kafka position when it has no usable id) is written in a transaction that
        commits only after the broker acknowledged the copy, so a redelivery finds the row and sends
        nothing again; a failed send rolls the row back and the record comes again. (Only a crash
        between the broker's acknowledgement and the commit could leave a second copy; `dlq_original`
        names the position, the same on both.)"""
        dlq = f"{record.topic}.dlq"
        # A header without a value is kept as empty: the copy must be sendable whatever the original held.
        headers = [(k, v if v is not None else b"") for k, v in record.headers or []] + [
            ("dlq_reason", reason[:1000].encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_original", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        event_id = envelope.id if envelope is not None else position_id(record.topic, record.partition, record.offset)
        async with self.db.transaction() as session:
            fresh = await inbox.claim(
                session,
                consumer=self.group_id,
                event_id=event_id,
                type_=envelope.type if envelope is not None else MALFORMED_TYPE,
                topic=record.topic[:200],
                partition=record.partition,
                offset=record.offset,
                outcome="dead_lettered",
            )
            if not fresh:
                log.info(
                    "event %s/%s/%s was dead-lettered or handled already", record.topic, record.partition, record.offset
                )
                return
            assert self._dlq_producer is not None  # started with the consumer whose record this is
            try:
                await self._dlq_producer.send_and_wait(dlq, record.value, key=record.key, headers=headers)
            except (MessageSizeTooLargeError, RecordTooLargeError):
                # The original plus the dlq_* headers is too large to send: keep the position and reason.
                await self._dlq_producer.send_and_wait(
                    dlq, None, key=record.key, headers=[*headers[-3:], ("dlq_value_dropped", b"too large")]
                )
        metrics.EVENTS_DEAD_LETTERED.labels(self.group_id, record.topic).inc()
        log.error("event %s/%s/%s dead-lettered to %s: %s", record.topic, record.partition, record.offset, dlq, reason)


#: The inbox `type` of a record that is not a readable CloudEvent.
MALFORMED_TYPE = "malformed"


def position_id(topic: str, partition: int, offset: int) -> str:
    """An inbox id for a record without a usable event id: its Kafka position (hashed to fit 64)."""
    return "kafka:" + hashlib.sha256(f"{topic}/{partition}/{offset}".encode()).hexdigest()[:58]


def _one_by_one(handler: Handler) -> BatchHandler:
    async def apply(session: AsyncSession, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            await handler(session, envelope)

    return apply


def _parse(record: ConsumerRecord) -> Envelope:
    return Envelope.from_kafka(
        record.key,
        record.value,
        list(record.headers or []),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
