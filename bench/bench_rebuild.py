"""P4 rebuild: `newform gateway rebuild` (rebuild.rebuild) replaying the topics into a fresh database,
against a raw aiokafka read of the same topics (every record from the beginning, nothing written).
Usage: python bench/bench_rebuild.py [-n 20000]"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NEWFORM_DEV", "1")  # the gateway's development secrets, as the test suite runs it

from bench.bench_gateway_projection import catalogue_events, produce  # noqa: E402
from newform_common.migrations import upgrade  # noqa: E402
from newform_common.testing import TokenFactory  # noqa: E402
from newform_gateway.rebuild import rebuild  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402
from tests.kit.gateway import gateway_settings, prepare_topics  # noqa: E402


async def raw_read(bootstrap: str, topic: str, n: int) -> float:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < n:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen += len(records)
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def measure(pg, kafka, n: int) -> dict:
    prefix = f"r{uuid.uuid4().hex[:6]}"
    await prepare_topics(kafka.bootstrap_servers, prefix)
    topic = f"{prefix}-contracts.events"
    await produce(kafka.bootstrap_servers, topic, await catalogue_events(kafka.bootstrap_servers, prefix, n))
    raw = await raw_read(kafka.bootstrap_servers, topic, n)
    pg.create_database("rebuilt")
    settings = gateway_settings(
        prefix, pg.url("rebuilt"), kafka.bootstrap_servers, TokenFactory.generate().public_pem, log_level="WARNING"
    )
    await asyncio.to_thread(upgrade, "newform_gateway", pg.url("rebuilt"))  # the schema: not the replay's cost
    started = time.perf_counter()
    result = await rebuild(settings, into=pg.url("rebuilt"))
    ours = time.perf_counter() - started
    assert result["events"] == n and not result["failed"], result
    return {"value": n / ours, "ceiling": n / raw, "ratio": raw / ours, "unit": "events/s", "events": n}


async def main(n: int) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        f = await measure(pg, kafka, n)
    print(
        f"\nP4 rebuild of {n} events: {f['value']:.0f} events/s; raw aiokafka read {f['ceiling']:.0f}/s; "
        f"ratio {f['ratio']:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=20000)
    asyncio.run(main(parser.parse_args().n))
