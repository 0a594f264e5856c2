"""Event-path benchmark: each stage of newform's event path against its raw ceiling, same run.

  write    N transactions each writing a fact + its outbox row (a session: SQLAlchemy,
           newform_common.outbox.record) vs N transactions each inserting one row with raw asyncpg
  write_one_statement
           the same fact + outbox row as one statement on Database.autocommit (the single-write
           path POST /v1/contracts takes) vs the same raw asyncpg transactions
  relay    publishing the committed outbox rows of the write stages (2N) to Kafka (OutboxRelay, idempotent, acks=all)
           vs a raw aiokafka idempotent producer sending the same N records (values and CloudEvents
           headers built beforehand, untimed)
  consume  N events through ConsumerRunner (inbox claim + a batch handler writing the batch with one
           asyncpg executemany, one transaction per polled batch) vs a raw aiokafka consumer
           writing each polled batch with the same executemany in one transaction

Starts its own PostgreSQL and Kafka on free loopback ports. Prints events/s and the ratio
newform/ceiling (1.0 = as fast as the raw client). Usage: python bench/bench_event_path.py [-n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select, text

from newform_common.consumer import ConsumerRunner
from newform_common.db import CommonModel, Database, driver_connection
from newform_common.events import DomainEvent, event_type
from newform_common.kafka import make_producer
from newform_common.outbox import ROW_COLUMNS, OutboxRow, envelope_of, outbox_row, record
from newform_common.relay import OutboxRelay
from newform_local.throwaway import throwaway_servers


@event_type("bench.fact.recorded.v1", key="worker_id")
class FactRecorded(DomainEvent):
    """A benchmark fact."""

    fact_id: int
    worker_id: str
    amount_fen: int


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


async def bench_write(db: Database, raw_dsn: str, n: int, rounds: int = 6) -> tuple[float, float]:
    """Raw and newform alternate in rounds, so both see the same machine load (it is shared)."""
    conn = await asyncpg.connect(raw_dsn)
    await conn.execute(
        "create table if not exists raw_facts (id serial primary key, worker_id text, amount_fen bigint)"
    )
    raw = ours = 0.0
    per_round = n // rounds
    for r in range(rounds):
        started = time.perf_counter()
        for i in range(r * per_round, (r + 1) * per_round):
            async with conn.transaction():
                await conn.execute("insert into raw_facts (worker_id, amount_fen) values ($1, $2)", f"w_{i % 50}", i)
        raw += time.perf_counter() - started
        started = time.perf_counter()
        for i in range(r * per_round, (r + 1) * per_round):
            async with db.transaction() as session:
                await session.execute(
                    text("insert into raw_facts (worker_id, amount_fen) values (:w, :a)"), {"w": f"w_{i % 50}", "a": i}
                )
                record(session, FactRecorded(fact_id=i, worker_id=f"w_{i % 50}", amount_fen=i))
        ours += time.perf_counter() - started
    await conn.close()
    return rate(per_round * rounds, ours), rate(per_round * rounds, raw)


_FACT_AND_EVENT = f"""
with fact as (insert into raw_facts (worker_id, amount_fen) values ($1, $2))
insert into outbox ({", ".join(ROW_COLUMNS)})
values ($3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
"""


async def bench_write_one_statement(db: Database, raw_dsn: str, n: int, rounds: int = 6) -> tuple[float, float]:
    """The single-write path (POST /v1/contracts takes it): fact and outbox row in one statement on
    `Database.autocommit` (a data-modifying CTE is atomic by itself), against the same raw insert."""
    conn = await asyncpg.connect(raw_dsn)
    raw = ours = 0.0
    per_round = n // rounds
    for r in range(rounds):
        started = time.perf_counter()
        for i in range(r * per_round, (r + 1) * per_round):
            async with conn.transaction():
                await conn.execute("insert into raw_facts (worker_id, amount_fen) values ($1, $2)", f"w_{i % 50}", i)
        raw += time.perf_counter() - started
        started = time.perf_counter()
        for i in range(r * per_round, (r + 1) * per_round):
            async with db.autocommit() as driver:
                await driver.execute(
                    _FACT_AND_EVENT,
                    f"w_{i % 50}",
                    i,
                    *outbox_row(db.service, FactRecorded(fact_id=i, worker_id=f"w_{i % 50}", amount_fen=i)),
                )
            db.notify_outbox_committed()
        ours += time.perf_counter() - started
    await conn.close()
    return rate(per_round * rounds, ours), rate(per_round * rounds, raw)


async def bench_relay(db: Database, bootstrap: str) -> tuple[float, float]:
    async with db.transaction() as session:
        # Every row the write stages left: the relay publishes them all, so both sides send the same.
        rows = (
            (await session.execute(select(OutboxRow).where(OutboxRow.published_at.is_(None)).order_by(OutboxRow.id)))
            .scalars()
            .all()
        )
        records = [(envelope_of(r).kafka_value(), r.key.encode(), envelope_of(r).kafka_headers()) for r in rows]
    producer = make_producer(bootstrap, client_id="bench-raw")
    await producer.start()
    started = time.perf_counter()
    futures = [
        await producer.send("bench-raw.events", value, key=key, headers=headers) for value, key, headers in records
    ]
    await asyncio.gather(*futures)
    raw = time.perf_counter() - started
    await producer.stop()

    relay = OutboxRelay(db, bootstrap)  # as a service runs it
    started = time.perf_counter()
    published = 0
    while published < len(rows):
        published += await relay.publish_batch()
    ours = time.perf_counter() - started
    await relay.stop()
    return rate(len(rows), ours), rate(len(rows), raw)


async def bench_consume(db: Database, raw_dsn: str, bootstrap: str, topic: str, n: int) -> tuple[float, float]:
    conn = await asyncpg.connect(raw_dsn)
    await conn.execute("create table if not exists raw_projection (event_id text primary key, worker_id text)")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    started, seen = time.perf_counter(), 0
    while seen < n:
        for tp, records in (await consumer.getmany(timeout_ms=500, max_records=500)).items():
            async with conn.transaction():
                await conn.executemany(
                    "insert into raw_projection values ($1, $2) on conflict do nothing",
                    [(dict(r.headers)["ce_id"].decode(), r.key.decode()) for r in records],
                )
            seen += len(records)
            await consumer.commit({tp: records[-1].offset + 1})
    raw = time.perf_counter() - started
    await consumer.stop()
    await conn.close()

    done = asyncio.Event()
    handled = 0

    async def project(session, envelopes):
        nonlocal handled
        conn = await driver_connection(session)
        await conn.executemany(
            "insert into raw_projection values ($1, $2) on conflict do nothing",
            [(e.id + "-p", e.key) for e in envelopes],
        )
        handled += len(envelopes)
        if handled >= n:
            done.set()

    runner = ConsumerRunner(db, bootstrap, group_id=f"bench-{uuid.uuid4().hex}", topics=[topic], batch_handler=project)
    started = time.perf_counter()
    await runner.start()
    await done.wait()
    ours = time.perf_counter() - started
    await runner.stop()
    return rate(n, ours), rate(n, raw)


async def measure(pg, kafka, n: int) -> dict[str, dict]:
    """write, relay and consume: each {value, ceiling, ratio, unit} measured in this run."""
    pg.create_database("eventpath")
    url = pg.url("eventpath")
    raw_dsn = url.replace("postgresql+asyncpg", "postgresql")
    db = Database(url, service="bench")
    async with db.engine.begin() as c:
        await c.run_sync(CommonModel.metadata.create_all)
    try:
        stages = {
            "write": await bench_write(db, raw_dsn, n),
            "write_one_statement": await bench_write_one_statement(db, raw_dsn, n),
            "relay": await bench_relay(db, kafka.bootstrap_servers),
            "consume": await bench_consume(db, raw_dsn, kafka.bootstrap_servers, "bench.events", n),
        }
    finally:
        await db.dispose()
    return {
        name: {"value": ours, "ceiling": raw, "ratio": ours / raw, "unit": "events/s"}
        for name, (ours, raw) in stages.items()
    }


CEILINGS = {
    "write": "raw asyncpg insert, 1 tx each",
    "write_one_statement": "raw asyncpg insert, 1 tx each",
    "relay": "raw aiokafka idempotent producer, same records",
    "consume": "raw aiokafka + asyncpg executemany a batch",
}


def report(figures: dict[str, dict], n: int) -> None:
    print(f"\nnewform event path, n={n} events")
    print(f"{'stage':<20}{'newform ev/s':>14}{'ceiling ev/s':>14}{'ratio':>8}   ceiling")
    for stage, f in figures.items():
        print(f"{stage:<20}{f['value']:>14.0f}{f['ceiling']:>14.0f}{f['ratio']:>8.2f}   {CEILINGS[stage]}")


async def main(n: int) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        report(await measure(pg, kafka, n), n)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="events per stage (default 2000)")
    asyncio.run(main(parser.parse_args().n))
