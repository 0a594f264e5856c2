"""The local stack runs real servers: PostgreSQL and Kafka start, serve, stop and keep their data."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from newform_common.kafka import TopicLayout, ensure_topics
from newform_local.kafka import LocalKafka, LocalKafkaCluster
from newform_local.ports import free_port, port_is_open
from newform_local.postgres import EmbeddedPostgres


def _dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def test_postgres_keeps_data_across_restarts() -> None:
    # Not under pytest's tmp root: a pytest session starting beside this one re-tightens it to 0700,
    # locking out the unprivileged user PostgreSQL runs as (see newform_local.throwaway).
    folder = tempfile.TemporaryDirectory(prefix="newform-test-pg-keep-")
    pg = EmbeddedPostgres(Path(folder.name) / "pgdata", port=free_port())
    pg.start()
    try:
        assert pg.is_running()
        pg.start()  # idempotent on a running server
        pg.create_database("keep")
        pg.create_database("keep")  # if missing: no error the second time
        conn = await asyncpg.connect(_dsn(pg.url("keep")))
        try:
            assert await conn.fetchval("SELECT 1 + 1") == 2
            await conn.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)")
            await conn.execute("INSERT INTO kept VALUES (1, '留存')")
        finally:
            await conn.close()
        assert pg.url("keep") == f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/keep"
    finally:
        pg.stop()
    assert not pg.is_running()
    assert not port_is_open("127.0.0.1", pg.port)
    pg.stop()  # safe when not running

    with pg:  # a second start on the same data dir
        conn = await asyncpg.connect(_dsn(pg.url("keep")))
        try:
            assert await conn.fetchval("SELECT note FROM kept WHERE id = 1") == "留存"
        finally:
            await conn.close()
    assert not pg.is_running()
    folder.cleanup()


async def test_session_fixtures_serve_clients(new_database, kafka) -> None:
    url = new_database("stack")
    conn = await asyncpg.connect(_dsn(url))
    try:
        assert (await conn.fetchval("SELECT current_database()")).startswith("stack_")
    finally:
        await conn.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        assert isinstance(await admin.list_topics(), list)
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=[("ce_type", b"test.v1")])
    finally:
        await producer.stop()


async def _consume_all(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes | None, bytes | None]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"g-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[tuple[bytes | None, bytes | None]] = []
    try:
        async with asyncio.timeout(60):
            while len(got) < expected:
                message = await consumer.getone()
                got.append((message.key, message.value))
                assert dict(message.headers)["ce_type"] == b"test.v1"
    finally:
        await consumer.stop()
    return got


async def test_kafka_round_trip_and_restart_keeps_messages(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=free_port())
    broker.start()
    try:
        assert broker.is_running()
        assert broker.bootstrap_servers == f"127.0.0.1:{broker.port}"
        assert await ensure_topics(broker.bootstrap_servers, ["stack.events"], layout=TopicLayout(2, 1)) == [
            "stack.events"
        ]
        assert await ensure_topics(broker.bootstrap_servers, ["stack.events"]) == []  # idempotent
        await _produce(broker.bootstrap_servers, "stack.events", b"worker-1", b'{"n": 1}')
        assert await _consume_all(broker.bootstrap_servers, "stack.events", 1) == [(b"worker-1", b'{"n": 1}')]
    finally:
        broker.stop()
    assert not broker.is_running()
    broker.stop()  # safe when not running

    with broker:  # same data dir, same ports
        await _produce(broker.bootstrap_servers, "stack.events", b"worker-1", b'{"n": 2}')
        got = await _consume_all(broker.bootstrap_servers, "stack.events", 2)
        assert got == [(b"worker-1", b'{"n": 1}'), (b"worker-1", b'{"n": 2}')]
    assert not broker.is_running()


def test_broker_that_cannot_start_reports_its_log(tmp_path: Path) -> None:
    # The port is taken, so the broker exits: the error carries the tail of its log.
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = LocalKafka(tmp_path / "kafka", port=taken.getsockname()[1])
        with pytest.raises(RuntimeError, match="broker.log"):
            broker.start(timeout=60)
    assert not broker.is_running()


async def _topic_layout(bootstrap: str, topic: str) -> tuple[list[list[int]], str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # The broker answering may learn of a new topic a moment after the controller created it
        # (metadata reaches each broker on its own): until it does, it describes no partitions and
        # answers the config question with an error and no entries. Ask until it knows both.
        min_isr: str | None = None
        for _ in range(60):
            [described] = await admin.describe_topics([topic])
            [configs] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
            entries = {entry[0]: entry[1] for entry in configs.resources[0][4]}
            min_isr = entries.get("min.insync.replicas")
            if described["partitions"] and min_isr is not None:
                break
            await asyncio.sleep(0.5)
    finally:
        await admin.close()
    assert min_isr is not None, f"no broker told the configuration of {topic} within 30 s"
    replicas = [sorted(p["replicas"]) for p in sorted(described["partitions"], key=lambda p: p["partition"])]
    return replicas, min_isr


async def _produce_quickly(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", request_timeout_ms=5000
    )
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, value, key=b"k", headers=[("ce_type", b"test.v1")]), 20)
    finally:
        await producer.stop()


@pytest.mark.timeout(400)
async def test_a_three_node_cluster_keeps_three_copies_and_takes_writes_with_one_node_down(tmp_path: Path) -> None:
    cluster = LocalKafkaCluster(tmp_path / "cluster", [free_port() for _ in range(3)])
    cluster.start()
    try:
        assert len({node.data_dir for node in cluster.nodes}) == 3 and cluster.is_running()
        created = await ensure_topics(
            cluster.bootstrap_servers,
            ["ha.events", "ha.events.dlq"],
            layout=TopicLayout(partitions=3, replication_factor=3),
        )
        assert created == ["ha.events", "ha.events.dlq"]
        replicas, min_isr = await _topic_layout(cluster.bootstrap_servers, "ha.events")
        assert replicas == [[1, 2, 3]] * 3 and min_isr == "2"

        # With min.insync.replicas=2 an acks=all write needs two live copies: one node down is fine.
        cluster.node(2).stop()
        await _produce_quickly(cluster.bootstrap_servers, "ha.events", b"with two of three")
        cluster.node(2).start()
        got = await _consume_all(cluster.bootstrap_servers, "ha.events", 1)
        assert got == [(b"k", b"with two of three")]
    finally:
        cluster.stop()
    assert not any(node.is_running() for node in cluster.nodes)
