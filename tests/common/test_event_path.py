"""The event path against real PostgreSQL and Kafka: outbox → relay → Kafka → consumer + inbox."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common.db import Database
from newform_common.events import Envelope
from newform_common.relay import OutboxRelay
from newform_common.settings import ServiceSettings
from newform_common.testing import TokenFactory, app_client, eventually, read_topic, unique_name

from .sample_service import create_tables, make_app

PLATFORM = "meituan"


@pytest.fixture
async def sample_settings(new_database, kafka, tokens):
    service = unique_name("sample")
    url = new_database()
    engine = create_async_engine(url)
    await create_tables(engine)
    await engine.dispose()
    return ServiceSettings(
        service_name=service,
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
    )


@pytest.fixture
def own_postgres():
    """A PostgreSQL for one test, to stop and start (the session's server is shared)."""
    from newform_local.throwaway import throwaway_postgres

    with throwaway_postgres("newform-test-own-pg-") as server:
        yield server


async def sample_database(server, name: str) -> str:
    server.create_database(name)
    url = server.url(name)
    engine = create_async_engine(url)
    await create_tables(engine)
    await engine.dispose()
    return url


async def count_for(url: str, worker: str) -> int | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (
                await conn.execute(text("select notes from sample_note_counts where worker_id = :w"), {"w": worker})
            ).scalar()
    finally:
        await engine.dispose()


def platform_headers(tokens: TokenFactory, **extra) -> dict[str, str]:
    return {**tokens.headers("platform", platform_id=PLATFORM), **extra}


async def test_committed_event_reaches_kafka_with_cloudevents_headers_and_rollback_publishes_nothing(
    sample_settings, tokens, kafka
):
    app = make_app(sample_settings, with_consumer=False)
    async with app_client(app) as client:
        rejected = await client.post(
            f"/v1/platforms/{PLATFORM}/notes",
            headers=platform_headers(tokens),
            json={"worker_id": "w_1", "text": "deposit", "deposit_fen": 5000},
        )
        accepted = await client.post(
            f"/v1/platforms/{PLATFORM}/notes",
            headers=platform_headers(tokens),
            json={"worker_id": "w_1", "text": "hello"},
        )
        assert rejected.status_code == 422
        assert accepted.status_code == 201
        records = await read_topic(kafka.bootstrap_servers, sample_settings.topic, expect=1, settle=2.0)

    assert len(records) == 1, "the rolled-back request must publish nothing"
    record = records[0]
    headers = dict(record.headers)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"sample.note.created.v1"
    assert headers["ce_source"] == f"/newform/{sample_settings.service_name}".encode()
    assert headers["ce_subject"] == b"w_1"
    assert headers["ce_id"] and headers["ce_time"]
    assert record.key == b"w_1"
    envelope = Envelope.from_kafka(record.key, record.value, list(record.headers))
    assert envelope.data == {
        "note_id": accepted.json()["id"],
        "platform_id": PLATFORM,
        "worker_id": "w_1",
        "text": "hello",
    }


async def test_writes_succeed_while_kafka_is_down_and_arrive_exactly_once_after(new_database, tokens, tmp_path_factory):
    from newform_local.kafka import LocalKafka
    from newform_local.ports import free_port

    broker = LocalKafka(tmp_path_factory.mktemp("kafka-outage"), port=free_port(), auto_create_topics=True)
    broker.start()
    try:
        service = unique_name("sample")
        url = new_database()
        engine = create_async_engine(url)
        await create_tables(engine)
        await engine.dispose()
        settings = ServiceSettings(
            service_name=service,
            database_url=url,
            kafka_bootstrap_servers=broker.bootstrap_servers,
            jwt_public_key=tokens.public_pem,
            relay_poll_interval_s=0.2,
        )
        app = make_app(settings)
        async with app_client(app) as client:
            first = await client.post(
                f"/v1/platforms/{PLATFORM}/notes",
                headers=platform_headers(tokens),
                json={"worker_id": "w_out", "text": "before outage"},
            )
            assert first.status_code == 201
            await eventually(lambda: count_for(url, "w_out"))

            broker.stop()
            during = []
            for i in range(5):
                response = await client.post(
                    f"/v1/platforms/{PLATFORM}/notes",
                    headers=platform_headers(tokens),
                    json={"worker_id": "w_out", "text": f"during outage {i}"},
                )
                during.append(response.status_code)
            assert during == [201] * 5, "writes must succeed while Kafka is down"
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"

            broker.start()
            assert await eventually(lambda: _equals(count_for(url, "w_out"), 6), timeout=90)
            await asyncio.sleep(2)  # any duplicate delivery would land now
            assert await count_for(url, "w_out") == 6
    finally:
        broker.stop()


async def _equals(awaitable, expected):
    return (await awaitable) == expected


async def test_relay_crash_between_publish_and_mark_changes_nothing_downstream(sample_settings, tokens, kafka):
    app = make_app(sample_settings.model_copy(update={"run_relay": False}))
    db = Database(sample_settings.database_url, service=sample_settings.service_name)
    try:
        async with app_client(app) as client:
            response = await client.post(
                f"/v1/platforms/{PLATFORM}/notes",
                headers=platform_headers(tokens),
                json={"worker_id": "w_crash", "text": "once"},
            )
            assert response.status_code == 201

            crashing = OutboxRelay(db, kafka.bootstrap_servers)

            async def crash(*_args, **_kwargs):
                raise RuntimeError("relay killed after publishing")

            crashing._mark_published = crash
            with pytest.raises(RuntimeError):
                await crashing.publish_batch()
            await crashing.stop()

            restarted = OutboxRelay(db, kafka.bootstrap_servers)
            assert await restarted.publish_batch() == 1, "the unmarked row is published again"
            await restarted.stop()

            records = await read_topic(kafka.bootstrap_servers, sample_settings.topic, expect=2)
            assert len(records) == 2 and records[0].headers == records[1].headers  # the same event, twice
            await eventually(lambda: count_for(sample_settings.database_url, "w_crash"))
            await asyncio.sleep(1.5)
            assert await count_for(sample_settings.database_url, "w_crash") == 1
    finally:
        await db.dispose()


async def test_poison_events_go_to_the_dead_letter_topic_and_the_consumer_goes_on(sample_settings, tokens, kafka):
    app = make_app(sample_settings)
    async with app_client(app) as client:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
        await producer.start()
        await producer.send_and_wait(
            sample_settings.topic, b"not json at all", key=b"w_p", headers=[("ce_type", b"sample.note.created.v1")]
        )
        await producer.stop()
        for text_ in ("poison", "healthy"):
            response = await client.post(
                f"/v1/platforms/{PLATFORM}/notes",
                headers=platform_headers(tokens),
                json={"worker_id": "w_p", "text": text_},
            )
            assert response.status_code == 201

        assert await eventually(lambda: count_for(sample_settings.database_url, "w_p")) == 1
        dead = await read_topic(kafka.bootstrap_servers, f"{sample_settings.topic}.dlq", expect=2)
        reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
        assert len(dead) == 2
        assert reasons[0].startswith("ValueError: this event cannot be projected")
        assert reasons[1].startswith("malformed: missing CloudEvents headers")


async def test_a_database_outage_dead_letters_nothing_and_every_event_is_applied_after(tokens, kafka, own_postgres):
    from .sample_service import NoteCreated

    url = await sample_database(own_postgres, "outage")
    settings = ServiceSettings(
        service_name=unique_name("sample"),
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        run_relay=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()

    async def publish(i: int) -> None:
        env = Envelope.of(
            NoteCreated(note_id=i, platform_id=PLATFORM, worker_id="w_db", text=f"n{i}"), source="/newform/test"
        )
        await producer.send_and_wait(
            settings.topic, env.kafka_value(), key=env.key.encode(), headers=env.kafka_headers()
        )

    try:
        async with app_client(make_app(settings)):
            await publish(0)
            assert await eventually(lambda: count_for(url, "w_db")) == 1
            own_postgres.stop()
            for i in range(1, 4):
                await publish(i)
            await asyncio.sleep(3)  # well past the handler's retries: an outage must not look like poison
            own_postgres.start()
            assert await eventually(lambda: _equals(count_for(url, "w_db"), 4), timeout=60)
    finally:
        await producer.stop()
    dead = await read_topic(kafka.bootstrap_servers, f"{settings.topic}.dlq", expect=1, timeout=3)
    assert dead == []


async def test_requests_during_a_database_outage_get_503_with_retry_after(tokens, own_postgres):
    url = await sample_database(own_postgres, "down")
    settings = ServiceSettings(
        service_name=unique_name("sample"),
        database_url=url,
        kafka_bootstrap_servers="127.0.0.1:1",
        jwt_public_key=tokens.public_pem,
        run_relay=False,
    )
    notes = f"/v1/platforms/{PLATFORM}/notes"
    async with app_client(make_app(settings, with_consumer=False)) as client:
        ok = await client.post(notes, headers=platform_headers(tokens), json={"worker_id": "w_503", "text": "before"})
        assert ok.status_code == 201
        own_postgres.stop()
        down = await client.post(notes, headers=platform_headers(tokens), json={"worker_id": "w_503", "text": "during"})
        assert down.status_code == 503, down.text
        assert down.headers["content-type"] == "application/problem+json"
        assert down.headers["retry-after"] == "5"
        assert (await client.get("/readyz")).status_code == 503
        own_postgres.start()
        again = await client.post(notes, headers=platform_headers(tokens), json={"worker_id": "w_503", "text": "after"})
        assert again.status_code == 201


async def test_a_batch_handler_gets_each_new_event_once_in_order(sample_settings, kafka):
    from newform_common.consumer import ConsumerRunner

    from .sample_service import NoteCreated

    with pytest.raises(ValueError, match="either a handler"):
        ConsumerRunner(
            Database(sample_settings.database_url, service="x"),
            kafka.bootstrap_servers,
            group_id="g",
            topics=["t.events"],
        )
    seen: list[int] = []

    async def batch(session, envelopes):
        seen.extend(e.data["note_id"] for e in envelopes)

    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    events = [
        Envelope.of(NoteCreated(note_id=i, platform_id=PLATFORM, worker_id="w_batch", text="x"), source="/newform/test")
        for i in range(20)
    ]
    for env in [*events, events[3]]:  # the last one is a redelivery
        await producer.send(sample_settings.topic, env.kafka_value(), key=env.key.encode(), headers=env.kafka_headers())
    await producer.flush()
    await producer.stop()

    db = Database(sample_settings.database_url, service=sample_settings.service_name)
    runner = ConsumerRunner(
        db, kafka.bootstrap_servers, group_id=unique_name("batch"), topics=[sample_settings.topic], batch_handler=batch
    )
    await runner.start()
    try:
        await eventually(lambda: _equals(_len(seen), 20))
        await asyncio.sleep(1)
    finally:
        await runner.stop()
        await db.dispose()
    assert seen == list(range(20))


async def _len(items) -> int:
    return len(items)


async def test_a_poison_record_delivered_again_is_not_dead_lettered_again(sample_settings, kafka):
    """A crash after dead-lettering but before the offset commit redelivers the record: the inbox row
    written with the copy says it was dead-lettered, so no second copy is sent."""
    from aiokafka import ConsumerRecord

    from newform_common.consumer import ConsumerRunner
    from newform_common.kafka import make_producer

    from .sample_service import NoteCreated

    async def refuse(session, envelope):
        raise ValueError("this event cannot be handled")

    db = Database(sample_settings.database_url, service=sample_settings.service_name)
    runner = ConsumerRunner(
        db,
        kafka.bootstrap_servers,
        group_id=unique_name("redeliver"),
        topics=[sample_settings.topic],
        handler=refuse,
        retry_delay=0.01,
    )
    runner._dlq_producer = make_producer(kafka.bootstrap_servers, client_id="redeliver-dlq")
    await runner._dlq_producer.start()
    good = Envelope.of(NoteCreated(note_id=1, platform_id=PLATFORM, worker_id="w_r", text="x"), source="/t")

    def record(offset: int, headers, value: bytes) -> ConsumerRecord:
        return ConsumerRecord(
            topic=sample_settings.topic,
            partition=0,
            offset=offset,
            timestamp=0,
            timestamp_type=0,
            key=b"w_r",
            value=value,
            checksum=None,
            serialized_key_size=3,
            serialized_value_size=len(value),
            headers=headers,
        )

    malformed = record(7, [(k, b"x" * 65 if k == "ce_id" else v) for k, v in good.kafka_headers()], good.kafka_value())
    failing = record(8, good.kafka_headers(), good.kafka_value())
    # Too large to copy with its headers, and a header without a value: still dead-lettered, once.
    huge = record(9, [*good.kafka_headers(), ("traceparent", None)], b"x" * 1_100_000)
    try:
        for _ in range(2):
            await runner._handle(malformed)
            await runner._handle(failing)
            await runner._handle(huge)
    finally:
        await runner._dlq_producer.stop()
        await db.dispose()
    dead = await read_topic(kafka.bootstrap_servers, f"{sample_settings.topic}.dlq", expect=4, timeout=5)
    assert sorted(dict(r.headers)["dlq_original"].decode().rsplit("/", 1)[1] for r in dead) == ["7", "8", "9"]
    dropped = [r for r in dead if r.value is None]
    assert len(dropped) == 1 and dict(dropped[0].headers)["dlq_value_dropped"] == b"too large"


async def test_a_runner_given_types_passes_over_the_others_without_an_inbox_row(sample_settings, kafka):
    """A service consuming its own topic for one event type (contracts: a contract sent) pays no inbox
    row and no transaction for the others; the types it handles are claimed and applied as always."""
    from aiokafka import ConsumerRecord

    from newform_common.consumer import ConsumerRunner

    from .sample_service import NoteCreated

    seen: list[str] = []

    async def batch(session, envelopes):
        seen.extend(e.id for e in envelopes)

    def record(offset: int, envelope: Envelope) -> ConsumerRecord:
        value = envelope.kafka_value()
        return ConsumerRecord(
            topic=sample_settings.topic,
            partition=0,
            offset=offset,
            timestamp=0,
            timestamp_type=0,
            key=b"w_t",
            value=value,
            checksum=None,
            serialized_key_size=3,
            serialized_value_size=len(value),
            headers=envelope.kafka_headers(),
        )

    note = Envelope.of(NoteCreated(note_id=1, platform_id=PLATFORM, worker_id="w_t", text="x"), source="/t")
    db = Database(sample_settings.database_url, service=sample_settings.service_name)
    passing_over = ConsumerRunner(
        db,
        kafka.bootstrap_servers,
        group_id=unique_name("types"),
        topics=[sample_settings.topic],
        batch_handler=batch,
        types=["sample.other.v1"],
    )
    handling = ConsumerRunner(
        db,
        kafka.bootstrap_servers,
        group_id=unique_name("types"),
        topics=[sample_settings.topic],
        batch_handler=batch,
        types=[NoteCreated.event_type],
    )
    try:
        assert await passing_over._apply_batch([record(0, note)]) == []
        await passing_over._handle(record(0, note))
        assert seen == []
        assert [e.id for e in await handling._apply_batch([record(0, note)])] == [note.id]
        async with db.sessions() as session:
            claimed = (
                (await session.execute(text("select consumer from inbox where event_id = :id"), {"id": note.id}))
                .scalars()
                .all()
            )
    finally:
        await db.dispose()
    assert seen == [note.id]
    assert claimed == [handling.group_id]
