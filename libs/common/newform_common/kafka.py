"""Kafka clients configured the one way the project uses them."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


def make_producer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaProducer:
    # Idempotent and acks=all: a retried send never duplicates or reorders within a partition.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


def make_consumer(bootstrap_servers: str, *, group_id: str, client_id: str, **kw) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,  # offsets are committed only after the database commit
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        metadata_max_age_ms=5000,  # pattern subscriptions notice a new service's topic quickly
        **kw,
    )


async def ensure_topics(bootstrap_servers: str, topics: list[str], *, partitions: int = 3) -> None:
    """Create topics that do not exist yet (clusters may forbid auto-creation)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="newform-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def kafka_reachable(bootstrap_servers: str, timeout: float = 2.0) -> bool:
    """Whether any bootstrap server accepts a TCP connection (cheap enough for a probe)."""
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host or "127.0.0.1", int(port)), timeout)
            writer.close()
            return True
        except (OSError, TimeoutError, ValueError):
            continue
    return False
