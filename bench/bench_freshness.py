"""P2 freshness: from a service's commit to visible in the gateway's read models, at a sustained rate.

A writer commits contract drafts (a fact's outbox row, as a service's request does: `outbox.record`
in one transaction) at R per second for D seconds; the service's relay publishes them; the gateway
(its own uvicorn process, as deployed: consumer, projections) makes them visible. A watcher polls
the gateway's database (what its API reads) every 2 ms and notes when each contract appears.
Prints p50/p99 of commit → visible.
Usage: python bench/bench_freshness.py [-r 500] [-d 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_contracts_api import uvicorn  # noqa: E402
from newform_common.db import CommonModel, Database  # noqa: E402
from newform_common.migrations import upgrade  # noqa: E402
from newform_common.outbox import record  # noqa: E402
from newform_common.relay import OutboxRelay  # noqa: E402
from newform_common.testing import TokenFactory  # noqa: E402
from newform_contracts.events import ContractDrafted, InsuranceFlags  # noqa: E402
from newform_local.ports import free_port  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402
from tests.kit.gateway import prepare_topics  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure(pg, kafka, rate: int = 500, seconds: float = 10) -> dict:
    prefix = f"f{uuid.uuid4().hex[:6]}"
    await prepare_topics(kafka.bootstrap_servers, prefix)
    pg.create_database("fresh_service")
    pg.create_database("fresh_gateway")
    service = Database(pg.url("fresh_service"), service=f"{prefix}-contracts")
    async with service.engine.begin() as c:
        await c.run_sync(CommonModel.metadata.create_all)
    gw_url = pg.url("fresh_gateway")
    await asyncio.to_thread(upgrade, "newform_gateway", gw_url)
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": gw_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "JWT_PUBLIC_KEY": TokenFactory.generate().public_pem,
        "LOG_LEVEL": "WARNING",
        "PII_SECRET": "bench-pii-secret-of-at-least-32-bytes!!",
        "GATEWAY_TOPIC_PATTERN": rf"^{prefix}-[a-z0-9_-]+\.events$",
        "GATEWAY_CONSUMER_GROUP": f"{prefix}-gw",
        "RUN_RELAY": "false",
        "GATEWAY_RUN_DELIVERER": "false",
    }
    relay = OutboxRelay(service, kafka.bootstrap_servers)  # as a service runs it
    committed: dict[str, float] = {}
    visible: dict[str, float] = {}
    on_kafka: dict[str, float] = {}  # when a plain consumer of the topic received it: splits relay from gateway
    watcher_conn = await asyncpg.connect(gw_url.replace("postgresql+asyncpg", "postgresql"))

    async def write(i: int) -> None:
        contract_id = f"c_{prefix}_{i}"
        async with service.transaction() as session:
            record(
                session,
                ContractDrafted(
                    contract_id=contract_id,
                    worker_id=f"w_{i % 997}",
                    platform_id="p_fresh",
                    enterprise_id="p_fresh",
                    engagement_type="labor_contract",
                    part_time=False,
                    occupation="food_delivery",
                    district="chengxi",
                    start_date=date(2026, 12, 1),
                    end_date=None,
                    pay_period="month",
                    insurance=InsuranceFlags(work_injury=True, occupational_injury=False, accident=True),
                    drafted_at=datetime.now(UTC),
                ),
            )
        committed[contract_id] = time.perf_counter()

    async def watch(stop: asyncio.Event) -> None:
        """The event log is written in the same transaction as the read models: its seq is a cursor."""
        seen = 0
        while not stop.is_set() or len(visible) < len(committed):
            rows = await watcher_conn.fetch(
                "select seq, data->>'contract_id' from event_log where seq > $1 order by seq", seen
            )
            now = time.perf_counter()
            for seq, cid in rows:
                visible.setdefault(cid, now)
                seen = max(seen, seq)
            await asyncio.sleep(0.002)

    async def listen(stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            f"{prefix}-contracts.events",
            bootstrap_servers=kafka.bootstrap_servers,
            group_id=None,
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            while not stop.is_set() or len(on_kafka) < len(committed):
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.perf_counter()
                    for r in records:
                        on_kafka.setdefault(orjson.loads(r.value)["contract_id"], now)
        finally:
            await consumer.stop()

    try:
        with uvicorn("newform_gateway.main:create_app", free_port(), env, factory=True):
            await relay.start()
            await write(-1)  # the consumer joins its group first: that is start-up, not freshness
            while f"c_{prefix}_-1" not in {r[0] for r in await watcher_conn.fetch("select contract_id from contracts")}:
                await asyncio.sleep(0.05)
            committed.clear()
            gc.freeze()  # as create_service_app does after start-up: the writer plays a service's part
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch(stop))
            listener = asyncio.create_task(listen(stop))
            await asyncio.sleep(1)  # the listener has its partitions
            started = time.perf_counter()
            total = int(rate * seconds)
            pending = set()
            for i in range(total):
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(write(i))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)
            achieved = total / (time.perf_counter() - started)
            stop.set()
            await asyncio.wait_for(watcher, timeout=300)
            await asyncio.wait_for(listener, timeout=60)
    finally:
        await relay.stop()
        await service.dispose()
        await watcher_conn.close()
    lags = [(visible[c] - committed[c]) * 1000 for c in committed if c in visible]
    relayed = [(on_kafka[c] - committed[c]) * 1000 for c in committed if c in on_kafka]
    return {
        "value": percentile(lags, 50),
        "ceiling": None,
        "ratio": None,
        "unit": "ms commit→visible (p50)",
        "relay_p50_ms": percentile(relayed, 50),
        "relay_p99_ms": percentile(relayed, 99),
        "p50_ms": percentile(lags, 50),
        "p99_ms": percentile(lags, 99),
        "mean_ms": statistics.fmean(lags),
        "rate_per_s": achieved,
        "events": len(lags),
    }


async def main(rate: int, seconds: float) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        f = await measure(pg, kafka, rate, seconds)
    print(
        f"\nP2 freshness at {f['rate_per_s']:.0f} writes/s over {f['events']} writes: "
        f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms; of which commit → on Kafka: "
        f"p50 {f['relay_p50_ms']:.1f} ms, p99 {f['relay_p99_ms']:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-r", type=int, default=500)
    parser.add_argument("-d", type=float, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.r, args.d))
