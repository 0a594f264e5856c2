"""Every record of the gateway's topics from offset 0 up to the end offsets taken at the start, merged across
partitions by event time — the stream `rebuild.rebuild` replays (its docstring says why this order)."""

from __future__ import annotations

import heapq
import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from newform_common.events import Envelope, MalformedEvent
from newform_common.kafka import make_admin, security_options

from .config import Settings


async def _partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    if not topics:
        return []
    admin = make_admin(bootstrap, client_id="gateway-rebuild")
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"])


#: Fetch sizes for reading whole topics: many records per round trip (aiokafka's defaults are 1 MB per partition).
FETCH_MAX_BYTES = 64 * 1024 * 1024
PARTITION_FETCH_MAX_BYTES = 16 * 1024 * 1024


@dataclass
class _Partitions:
    """The assigned partitions read up to their end offsets: a buffer of parsed records per partition."""

    consumer: AIOKafkaConsumer
    end: dict[TopicPartition, int]
    buffers: dict[TopicPartition, deque]
    open_partitions: set[TopicPartition]
    poison: list[dict[str, Any]] | None

    async def refill(self, wanted: set[TopicPartition]) -> None:
        """Fetch until every partition in `wanted` has a record buffered or is read to its end."""
        while wanted:
            batch = await self.consumer.getmany(*wanted, timeout_ms=1000)
            for tp, recs in batch.items():
                buffer, stop = self.buffers[tp], self.end[tp]
                for r in recs:
                    if r.offset >= stop:
                        continue
                    try:
                        env = Envelope.from_kafka(
                            r.key, r.value, r.headers or [], topic=tp.topic, partition=tp.partition, offset=r.offset
                        )
                    except MalformedEvent as exc:
                        # The live runner dead-lettered it already (once): skip it, say so.
                        if self.poison is not None:
                            self.poison.append(
                                {
                                    "topic": tp.topic,
                                    "partition": tp.partition,
                                    "offset": r.offset,
                                    "reason": f"malformed: {exc}",
                                }
                            )
                        continue
                    buffer.append(((env.time, tp.topic, tp.partition, r.offset), env))
            for tp in list(wanted):
                if await self.consumer.position(tp) >= self.end[tp]:
                    self.open_partitions.discard(tp)
                if self.buffers[tp] or tp not in self.open_partitions:
                    wanted.discard(tp)


def _consumer(settings: Settings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **security_options(),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        fetch_max_bytes=FETCH_MAX_BYTES,
        max_partition_fetch_bytes=PARTITION_FETCH_MAX_BYTES,
    )


async def merged_chunks(
    settings: Settings, topics_found: list[str], size: int, poison: list[dict[str, Any]] | None = None
) -> AsyncIterator[list[Envelope]]:
    """Every record of the matching topics up to the end offsets taken at the start, merged across
    partitions by (event time, topic, partition, offset), in chunks of `size` — streamed: each
    partition holds at most one fetch in memory, and the next record is always the earliest head
    among the partitions."""
    consumer = _consumer(settings)
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
        read = _Partitions(
            consumer,
            end,
            {tp: deque() for tp in partitions},
            {tp for tp in partitions if end[tp] > 0 and await consumer.position(tp) < end[tp]},
            poison,
        )
        heads: list[tuple] = []  # one entry per partition with a buffered record: (its sort key, partition)
        await read.refill(set(read.open_partitions))
        for tp, buffer in read.buffers.items():
            if buffer:
                heapq.heappush(heads, (buffer[0][0], tp))
        chunk: list[Envelope] = []
        while heads:
            _, tp = heads[0]
            buffer = read.buffers[tp]
            chunk.append(buffer.popleft()[1])
            if not buffer and tp in read.open_partitions:
                await read.refill({tp})
            if buffer:
                heapq.heapreplace(heads, (buffer[0][0], tp))
            else:
                heapq.heappop(heads)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
    finally:
        await consumer.stop()
