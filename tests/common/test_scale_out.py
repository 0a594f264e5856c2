"""Scale out: two relay instances of one service publish every outbox row exactly once, in order per key."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from newform_common.db import Database
from newform_common.kafka import ensure_topics
from newform_common.outbox import record
from newform_common.relay import OutboxRelay
from newform_common.testing import read_topic

from .sample_service import NoteCreated
from .test_event_path import sample_settings  # noqa: F401 — the fixture

NOTES, WORKERS = 300, 12


async def test_two_relay_instances_publish_every_row_once_in_order_per_key(sample_settings, kafka):  # noqa: F811
    await ensure_topics(kafka.bootstrap_servers, [sample_settings.topic], partitions=3)
    url, service = sample_settings.database_url, sample_settings.service_name
    writer = Database(url, service=service)
    # Two instances: each its own pool and producer, as two processes would have; small batches so
    # that both take turns while the rows are being written.
    instances = [Database(url, service=service), Database(url, service=service)]
    relays = [OutboxRelay(db, kafka.bootstrap_servers, batch_size=7, poll_interval=0.05) for db in instances]
    published = [0, 0]
    for i, relay in enumerate(relays):

        async def counting(publish=relay.publish_batch, i=i) -> int:
            n = await publish()
            published[i] += n
            return n

        relay.publish_batch = counting
    try:
        for relay in relays:
            await relay.start()
        for i in range(NOTES):
            async with writer.transaction() as session:
                record(session, NoteCreated(note_id=i, platform_id="p", worker_id=f"w_{i % WORKERS}", text="n"))
            if i % 25 == 0:
                await asyncio.sleep(0.02)
        records = await read_topic(
            kafka.bootstrap_servers, sample_settings.topic, expect=NOTES + 1, timeout=60, settle=1.0
        )
    finally:
        for relay in relays:
            await relay.stop()
        for db in (writer, *instances):
            await db.dispose()
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert len(records) == NOTES and len(set(ids)) == NOTES  # nothing lost, nothing twice
    assert sum(published) == NOTES  # no row was published by both instances
    by_key: dict[str, list[int]] = defaultdict(list)
    for r in records:
        by_key[r.key.decode()].append(json.loads(r.value)["note_id"])
    assert len(by_key) == WORKERS
    assert all(notes == sorted(notes) for notes in by_key.values())  # each worker's notes in order
