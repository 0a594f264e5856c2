"""One malformed event never stalls the gateway: every kind of poison record is dead-lettered exactly
once with its reason, its offset is committed, the good events behind it are projected, and a rebuild
over the same topic skips and reports the same records instead of dying."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from newform_common.kafka import ensure_topics
from newform_common.testing import TokenFactory, app_client, eventually, unique_name
from newform_contracts.events import WorkerRegistered
from newform_gateway.main import create_app
from newform_gateway.rebuild import compare, rebuild
from newform_gateway.topic_merge import _partitions

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar

KEY = b"w_poison"  # every record on one partition: the good events queue behind the poison


def headers(**overrides: bytes | None) -> list[tuple[str, bytes]]:
    base = {
        "ce_specversion": b"1.0",
        "ce_id": str(uuid.uuid4()).encode(),
        "ce_source": b"/newform/contracts",
        "ce_type": b"contracts.worker.registered.v1",
        "ce_time": datetime.now(UTC).isoformat().encode(),
        "content-type": b"application/json",
    }
    base.update(overrides)
    return [(k, v) for k, v in base.items() if v is not None]


def registration(platform: str, worker: str) -> bytes:
    return json.dumps(
        {
            "worker_id": worker,
            "registration_id": f"r_{uuid.uuid4().hex[:8]}",
            "platform_id": platform,
            "occupation": "courier",
            "residence_district": "chengxi",
            "household_registration_region": "630102",
            "registered_at": datetime.now(UTC).isoformat(),
        }
    ).encode()


def poison_records(platform: str) -> dict[str, tuple[bytes, list[tuple[str, bytes]], bytes]]:
    """Each poison record by what is wrong with it: (key, headers, value)."""
    good = registration(platform, "w_poison_ok")
    return {
        "ce_id longer than 64": (KEY, headers(ce_id=b"x" * 65), good),
        "ce_type longer than 200": (KEY, headers(ce_type=b"contracts." + b"t" * 200 + b".v1"), good),
        "ce_source longer than 200": (KEY, headers(ce_source=b"/" + b"s" * 200), good),
        "ce_subject longer than 200": (KEY, headers(ce_subject=b"s" * 201), good),
        "ce_id missing": (KEY, headers(ce_id=None), good),
        "ce_type missing": (KEY, headers(ce_type=None), good),
        "ce_source not UTF-8": (KEY, headers(ce_source=b"/newform/\xff\xfe"), good),
        "ce_type not UTF-8": (KEY, headers(ce_type=b"contracts.\xc3\x28.v1"), good),
        "ce_time without offset": (KEY, headers(ce_time=b"2026-11-29T08:00:00"), good),
        "key longer than 200": (b"k" * 201, headers(), good),
        "invalid JSON": (KEY, headers(), b'{"worker_id": "w_1",'),
        "JSON not an object": (KEY, headers(), b"[1, 2]"),
        "NUL in the data": (KEY, headers(), registration(platform, "w_\u0000nul")),
        "known type, fields missing": (KEY, headers(), json.dumps({"platform_id": platform}).encode()),
    }


async def read_to_end(bootstrap: str, topic: str) -> list:
    """Every record of `topic` up to its end offsets now (no waiting for more)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = await _partitions(bootstrap, [topic])
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        start = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, start[tp])
        records: list = []
        while len(records) < sum(end[tp] - start[tp] for tp in partitions):
            for recs in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(r for r in recs if r.offset < end[TopicPartition(r.topic, r.partition)])
        return records
    finally:
        await consumer.stop()


async def committed_behind_end(bootstrap: str, group: str, topic: str) -> int:
    """How many records of `topic` the group has not committed yet (0: nothing will be replayed)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        partitions = await _partitions(bootstrap, [topic])
        end = await consumer.end_offsets(partitions)
        behind = 0
        for tp in partitions:
            done = committed.get(tp)
            behind += end[tp] - (done.offset if done is not None and done.offset >= 0 else 0)
        return behind
    finally:
        await consumer.stop()
        await admin.close()


async def test_poison_records_are_dead_lettered_once_and_the_events_behind_them_are_projected(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("gwpoison").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    pub = EventFeed(kafka.bootstrap_servers, prefix)
    dlq = f"{pub.topic}.dlq"
    await ensure_topics(kafka.bootstrap_servers, [dlq])
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    platform = f"p_{uuid.uuid4().hex[:6]}"
    poison = poison_records(platform)

    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        for key, hdrs, value in poison.values():
            await producer.send_and_wait(pub.topic, value, key=key, headers=hdrs)
        for i in range(5):  # good events, behind the poison on the same partition
            envelope = pub.envelope(WorkerRegistered.model_validate_json(registration(platform, f"w_good_{i}")))
            await producer.send_and_wait(pub.topic, envelope.kafka_value(), key=KEY, headers=envelope.kafka_headers())
    finally:
        await producer.stop()

    async with app_client(create_app(settings)) as gateway:

        async def projected():
            r = await gateway.get(f"/v1/platforms/{platform}", headers=tokens.headers("regulator"))
            return r.status_code == 200 and r.json()["active_registrations"] == 5

        await eventually(projected, timeout=90)

        async def all_committed():
            return await committed_behind_end(kafka.bootstrap_servers, settings.consumer_group, pub.topic) == 0

        await eventually(all_committed, timeout=60)

    dead = await read_to_end(kafka.bootstrap_servers, dlq)
    copies = Counter(dict(r.headers)["dlq_original"].decode() for r in dead)
    assert len(copies) == len(poison), sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
    assert set(copies.values()) == {1}, copies  # each poison record exactly once
    reasons = [dict(r.headers)["dlq_reason"].decode() for r in dead]
    assert sum(r.startswith("malformed: ") for r in reasons) == len(poison) - 1
    assert any("ce_id is 65 characters long (at most 64)" in r for r in reasons)
    assert any("registration_id" in r for r in reasons if not r.startswith("malformed: "))  # the known type's gap
    dead_lettered = await scalar(url, "select count(*) from inbox where outcome = 'dead_lettered'")
    assert dead_lettered == len(poison)
    assert await scalar(url, "select count(*) from worker_registrations where platform_id = :p", p=platform) == 5

    # A rebuild over the same topic does not die on them: it skips and reports each, and equals the live models.
    target = new_database("gwpoisonrebuild")
    result = await rebuild(settings, into=target)
    assert result["failed"] == len(poison)
    assert len(result["poison"]) == len(poison)
    assert await scalar(target, "select count(*) from worker_registrations where platform_id = :p", p=platform) == 5
    assert await compare(url, target) == {}
    assert len(await read_to_end(kafka.bootstrap_servers, dlq)) == len(poison)  # the rebuild sends none
