"""A consumer under load takes one transaction per interval, not one per relay cycle (issue 25)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common.consumer import ConsumerRunner
from newform_common.db import Database
from newform_common.events import Envelope
from newform_common.kafka import ensure_topics
from newform_common.testing import eventually, unique_name

from .sample_service import NoteCreated, create_tables


async def test_a_coalescing_consumer_handles_a_stream_in_few_transactions_each_event_once_in_order(new_database, kafka):
    url = new_database()
    engine = create_async_engine(url)
    await create_tables(engine)
    await engine.dispose()
    topic = f"{unique_name('coalesce')}.events"
    await ensure_topics(kafka.bootstrap_servers, [topic], partitions=1)
    batches: list[list[int]] = []

    async def batch(session, envelopes):
        batches.append([e.data["note_id"] for e in envelopes])

    events = [
        Envelope.of(NoteCreated(note_id=i, platform_id="meituan", worker_id="w_c", text="x"), source="/newform/test")
        for i in range(40)
    ]
    group = unique_name("coalesce")
    db = Database(url, service="sample")
    runner = ConsumerRunner(
        db, kafka.bootstrap_servers, group_id=group, topics=[topic], batch_handler=batch, coalesce=1
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()

    async def send(envelope: Envelope) -> None:
        await producer.send_and_wait(
            topic, envelope.kafka_value(), key=envelope.key.encode(), headers=envelope.kafka_headers()
        )

    async def handled() -> int:
        return sum(map(len, batches))

    await runner.start()
    try:
        await send(events[0])  # after a quiet spell: handled on its own, at once
        await eventually(handled)
        # The rest as a relay under load sends them, a cycle every 10 ms, one event each (plus a redelivery).
        for envelope in [*events[1:], events[5]]:
            await send(envelope)
            await asyncio.sleep(0.01)
        await eventually(lambda: _equals(handled(), 40))
        async with db.transaction() as session:
            claimed = (
                await session.execute(text("select count(*) from inbox where consumer = :c"), {"c": group})
            ).scalar_one()
    finally:
        await runner.stop()
        await producer.stop()
        await db.dispose()
    assert batches[0] == [0]
    assert [n for b in batches for n in b] == list(range(40))  # each once, in order
    assert claimed == 40
    # ~0.5 s of events at one poll per second: a few transactions, not the 39 an immediate poll takes.
    assert len(batches) <= 5, batches


async def _equals(value, expected) -> bool:
    return await value == expected
