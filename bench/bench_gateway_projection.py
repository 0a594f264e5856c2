"""Gateway benchmark: catalogue events projected into the regulator's read models, against the ceiling.

  newform   the gateway app's consumer (ConsumerRunner, inbox, append-only event log, the read
            models: registrations, contracts, alerts routed to departments) catching up on N events
  ceiling   a raw aiokafka consumer writing the same N events into one table with a batched
            asyncpg executemany per poll (no inbox, no read models)

The events are a realistic mix per worker: registered, contract drafted, contract signed, and a
finding for one worker in five. Prints events/s and the ratio. Starts its own PostgreSQL and Kafka.
Usage: python bench/bench_gateway_projection.py [-n 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' catalogue publisher
os.environ.setdefault("NEWFORM_DEV", "1")  # the gateway's development secrets, as the test suite runs it

from newform_common.events import Envelope  # noqa: E402
from newform_common.kafka import make_producer  # noqa: E402
from newform_common.migrations import upgrade  # noqa: E402
from newform_common.testing import TokenFactory, app_client  # noqa: E402
from newform_gateway.main import create_app  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402
from tests.kit.feed import EventFeed  # noqa: E402
from tests.kit.gateway import gateway_settings, prepare_topics  # noqa: E402


async def catalogue_events(bootstrap: str, prefix: str, n: int) -> list[Envelope]:
    pub = EventFeed.collecting()
    await pub.enterprise("bench-platform", name="基准平台")
    i = 0
    while len(pub.sent) < n:
        worker = f"w_bench_{i}"
        await pub.worker(worker, "bench-platform", district=("chengxi", "datong", "chengdong")[i % 3])
        await pub.contract(f"c_{i}", worker, "bench-platform")
        await pub.contract_signed(f"c_{i}", worker, "bench-platform")
        if i % 5 == 0:
            await pub.finding(
                measure="M9",
                rule="M9.work_injury_insurance",
                subject_id=f"c_{i}",
                platform_id="bench-platform",
                worker_id=worker,
            )
        i += 1
    return pub.sent[:n]


async def produce(bootstrap: str, topic: str, events: list[Envelope]) -> None:
    producer = make_producer(bootstrap, client_id="bench-loader")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, e.kafka_value(), key=e.key.encode(), headers=e.kafka_headers()) for e in events
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def bench_raw(dsn: str, bootstrap: str, topic: str, n: int) -> float:
    conn = await asyncpg.connect(dsn)
    await conn.execute("create table raw_log (event_id text primary key, type text, data jsonb)")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    started, seen = None, 0
    await consumer.start()
    try:
        while seen < n:
            for tp, records in (await consumer.getmany(timeout_ms=500, max_records=500)).items():
                started = started or time.perf_counter()  # from the first record: group join is not the path
                async with conn.transaction():
                    await conn.executemany(
                        "insert into raw_log values ($1, $2, $3) on conflict do nothing",
                        [
                            (dict(r.headers)["ce_id"].decode(), dict(r.headers)["ce_type"].decode(), r.value.decode())
                            for r in records
                        ],
                    )
                seen += len(records)
                await consumer.commit({tp: records[-1].offset + 1})
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await conn.close()


async def bench_gateway(url: str, bootstrap: str, prefix: str, n: int) -> float:
    await asyncio.to_thread(upgrade, "newform_gateway", url)
    tokens = TokenFactory.generate()
    settings = gateway_settings(prefix, url, bootstrap, tokens.public_pem, log_level="WARNING")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with app_client(create_app(settings)):
            while not await conn.fetchval("select count(*) from event_log"):
                await asyncio.sleep(0.005)
            started = time.perf_counter()  # from the first batch, like the ceiling (group join is not the path)
            while await conn.fetchval("select count(*) from event_log") < n:
                await asyncio.sleep(0.02)
            seconds = time.perf_counter() - started
        alerts = await conn.fetchval("select count(*) from alerts")
        print(
            f"gateway projected {n} events: {alerts} alerts routed, "
            f"{await conn.fetchval('select count(*) from alert_routes')} department routes"
        )
        return seconds
    finally:
        await conn.close()


async def measure(pg, kafka, n: int) -> dict:
    prefix = f"b{uuid.uuid4().hex[:6]}"
    await prepare_topics(kafka.bootstrap_servers, prefix)
    events = await catalogue_events(kafka.bootstrap_servers, prefix, n)
    await produce(kafka.bootstrap_servers, f"{prefix}-contracts.events", events)
    pg.create_database("projraw")
    pg.create_database("projgw")
    raw = await bench_raw(
        pg.url("projraw").replace("postgresql+asyncpg", "postgresql"),
        kafka.bootstrap_servers,
        f"{prefix}-contracts.events",
        n,
    )
    ours = await bench_gateway(pg.url("projgw"), kafka.bootstrap_servers, prefix, n)
    return {"value": n / ours, "ceiling": n / raw, "ratio": raw / ours, "unit": "events/s"}


async def main(n: int) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        f = await measure(pg, kafka, n)
    print(f"\ngateway projection, n={n} catalogue events")
    print(f"{'':<58}{'events/s':>10}")
    print(f"{'newform gateway: inbox, event log, read models, alerts':<58}{f['value']:>10.0f}")
    print(f"{'ceiling: raw aiokafka + asyncpg executemany, one table':<58}{f['ceiling']:>10.0f}")
    print(f"{'ratio newform/ceiling':<58}{f['ratio']:>10.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=8000, help="events to project (default 8000)")
    asyncio.run(main(parser.parse_args().n))
