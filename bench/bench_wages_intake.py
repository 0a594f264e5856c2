"""P1 bulk intake: pay statements from an HTTP batch upload to the gateway's read model, against a raw COPY.

  newform   the wages service as deployed (uvicorn, uvloop, httptools) takes batches of 10,000
            JSON lines of pay statements for known engagements: each line parsed, checked and
            judged (every M6 rule), the good lines written set-based with their batch, the outbox
            events (one per 1,000 lines) in the same transaction; the relay publishes them to Kafka;
            the gateway (its own uvicorn process) projects them into `wage_statements` and adds each
            batch's totals event into `wage_totals`. The clock runs from the first upload until the
            gateway's read models hold every statement.
  ceiling   `COPY` of the same rows (the same columns) into a copy of wages' `statements` table,
            asyncpg `copy_records_to_table`, in the same run on the same server.

Engagements are seeded first through contracts' real events on Kafka (not timed). Prints statements/s
at each stage (HTTP committed, on Kafka, in the gateway) and the ratio to the COPY. Starts its own
PostgreSQL and Kafka. Usage: python bench/bench_wages_intake.py [-c 2000] [-m 5] [-b 5] [--in-flight 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_contracts_api import UVICORN_FLAGS  # noqa: E402
from newform_common.events import Envelope  # noqa: E402
from newform_common.kafka import ensure_topics, make_producer  # noqa: E402
from newform_common.migrations import upgrade  # noqa: E402
from newform_common.testing import TokenFactory  # noqa: E402
from newform_contracts.events import ContractDrafted, ContractSigned, InsuranceFlags  # noqa: E402
from newform_local.ports import free_port  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402
from newform_wages.statements import repository  # noqa: E402

PLATFORM = "bench-platform"
FIRST_MONTH = date(2024, 1, 1)


@contextmanager
def uvicorn(app: str, port: int, env: dict[str, str], *, workers: int = 1):
    """A uvicorn server as deployed (`workers` processes: replicas of the service); waits until it answers."""
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *UVICORN_FLAGS,
    ]
    server = subprocess.Popen(args, env=env, cwd=Path(__file__).resolve().parent.parent)
    try:
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=60)


def cpu_seconds(pid: int) -> float:
    """CPU time of a server process and its workers (uvicorn --workers forks them)."""
    process = psutil.Process(pid)
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def month_start(index: int) -> date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return date(FIRST_MONTH.year + year, month + 1, 1)


def engagements(count: int) -> list[tuple[str, str]]:
    return [(f"ct_bench_{i:06d}", f"w_bench{i:06d}{secrets.token_hex(3)}") for i in range(count)]


async def seed_engagements(bootstrap: str, pairs: list[tuple[str, str]], topic: str) -> None:
    producer = make_producer(bootstrap, client_id="bench-contracts")
    await producer.start()
    try:
        now = datetime.now(UTC)
        futures = []
        for contract_id, worker_id in pairs:
            common = dict(
                contract_id=contract_id,
                worker_id=worker_id,
                platform_id=PLATFORM,
                enterprise_id=PLATFORM,
                engagement_type="labor_contract",
            )
            for event in (
                ContractDrafted(
                    **common,
                    part_time=False,
                    occupation="food_delivery",
                    district="chengdong",
                    start_date=FIRST_MONTH,
                    end_date=None,
                    pay_period="month",
                    insurance=InsuranceFlags(work_injury=True, occupational_injury=False, accident=True),
                    drafted_at=now,
                ),
                ContractSigned(**common, at=now, document_sha256="0" * 64, signed_by=["worker", "enterprise"]),
            ):
                e = Envelope.of(event, source="/newform/contracts")
                futures.append(
                    await producer.send(topic, e.kafka_value(), key=e.key.encode(), headers=e.kafka_headers())
                )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def batch_lines(pairs: list[tuple[str, str]], first_month: int, months: int) -> list[dict]:
    lines = []
    for m in range(first_month, first_month + months):
        start = month_start(m)
        end = month_start(m + 1) - timedelta(days=1)
        due = end + timedelta(days=10)
        for contract_id, worker_id in pairs:
            lines.append(
                {
                    "line_id": f"{contract_id}-{start:%Y%m}",
                    "contract_id": contract_id,
                    "worker_id": worker_id,
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "due_date": due.isoformat(),
                    "gross_fen": 430_000,
                    "base_fen": 300_000,
                    "piece_fen": 80_000,
                    "piece_orders": 800,
                    "overtime_fen": 40_000,
                    "bad_weather_allowance_fen": 10_000,
                    "deductions": [{"reason": "income_tax", "amount_fen": 1_200}],
                    "normal_hours": 168,
                    "overtime_hours": 10,
                    "paid_fen": 428_800,
                    "paid_on": (due - timedelta(days=2)).isoformat(),
                    "payment_method": "bank",
                }
            )
    return lines


def copy_rows(lines: list[dict]) -> list[tuple]:
    """The rows the service would store for these lines, in `statements`' column order (named here, put
    in the order of the service's own column list, so a new column cannot shift the others)."""
    now = datetime.now(UTC)
    rows = []
    for i, line in enumerate(lines):
        row = {
            "id": f"st_copy_{i:08d}",
            "platform_id": PLATFORM,
            "line_id": line["line_id"],
            "batch_id": "bt_copy",
            "contract_id": line["contract_id"],
            "worker_id": line["worker_id"],
            "period_start": date.fromisoformat(line["period_start"]),
            "period_end": date.fromisoformat(line["period_end"]),
            "due_date": date.fromisoformat(line["due_date"]),
            "gross_fen": line["gross_fen"],
            "base_fen": line["base_fen"],
            "piece_fen": line["piece_fen"],
            "piece_orders": line["piece_orders"],
            "overtime_fen": line["overtime_fen"],
            "allowances_fen": line["bad_weather_allowance_fen"],
            "deductions": orjson.dumps(line["deductions"]).decode(),
            "deductions_fen": 1_200,
            "normal_minutes": line["normal_hours"] * 60,
            "overtime_minutes": line["overtime_hours"] * 60,
            "premium_days": "[]",
            "paid_fen": line["paid_fen"],
            "paid_on": date.fromisoformat(line["paid_on"]),
            "payment_method": line["payment_method"],
            "status": "judged",
            "received_at": now,
            "pending_schedule": "[]",
            "rules_broken": "[]",  # the rules its judgement found (wages_0010)
        }
        unknown = set(row) - set(repository.STATEMENT_COLUMNS)
        assert not unknown, f"not columns of statements: {unknown}"
        rows.append(tuple(row.get(column, 0) for column in repository.STATEMENT_COLUMNS))
    return rows


async def raw_copy(url: str, lines: list[dict]) -> float:
    conn = await asyncpg.connect(plain(url))
    try:
        await conn.execute(
            "drop table if exists statements_copy; create table statements_copy (like statements including all)"
        )
        rows = copy_rows(lines)
        start = time.perf_counter()
        await conn.copy_records_to_table("statements_copy", records=rows, columns=list(repository.STATEMENT_COLUMNS))
        return time.perf_counter() - start
    finally:
        await conn.close()


async def wait_for(check, what: str, timeout: float = 600.0, interval: float = 0.05) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return time.perf_counter()
        await asyncio.sleep(interval)
    raise SystemExit(f"timed out waiting for {what}")


async def page_ms(port: int, headers: dict[str, str], path: str, requests: int = 21) -> float:
    """The median time of a gateway page that aggregates the statements (the read side of the intake)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            r = await client.get(path)
            times.append(time.perf_counter() - start)
            r.raise_for_status()
    return sorted(times)[len(times) // 2] * 1000


async def measure(
    pg, kafka, *, contracts: int = 2000, months: int = 5, batches: int = 5, in_flight: int = 2, workers: int = 2
) -> dict:
    tag = uuid.uuid4().hex[:6]
    pg.create_database(f"p1_wages_{tag}")
    pg.create_database(f"p1_gateway_{tag}")
    wages_url, gateway_url = pg.url(f"p1_wages_{tag}"), pg.url(f"p1_gateway_{tag}")
    await asyncio.to_thread(upgrade, "newform_wages", wages_url)
    await asyncio.to_thread(upgrade, "newform_gateway", gateway_url)
    # Its own contracts topic and gateway group: the other benchmarks of a `make bench` run wrote
    # contracts.events already, and the gateway must read this run's engagements only.
    contracts_topic = f"p1{tag}-contracts.events"
    await ensure_topics(kafka.bootstrap_servers, [contracts_topic, "wages.events", "gateway.events"])
    tokens = TokenFactory.generate()
    common = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "JWT_PUBLIC_KEY": tokens.public_pem,
        "LOG_LEVEL": "WARNING",
        "PII_SECRET": "bench-pii-secret-of-at-least-32-bytes!!",
    }
    pairs = engagements(contracts)
    all_lines = [batch_lines(pairs, b * months, months) for b in range(batches)]
    total = sum(len(b) for b in all_lines)
    bodies = [b"\n".join(orjson.dumps(line) for line in lines) for lines in all_lines]
    wages_db = await asyncpg.connect(plain(wages_url))
    gateway_db = await asyncpg.connect(plain(gateway_url))
    wages_port, gateway_port = free_port(), free_port()
    try:
        with (
            uvicorn(
                "newform_wages.main:create_app",
                wages_port,
                {
                    **common,
                    "WAGES_DATABASE_URL": wages_url,
                    "WAGES_CONTRACTS_TOPIC": contracts_topic,
                    # The seeded engagements began years back: each has a pay-period clock per past month
                    # (W-11), a backlog the deadline worker would fire during the run. P1 times the intake.
                    "RUN_DEADLINES": "false",
                },
                workers=workers,
            ) as wages_server,
            uvicorn(
                "newform_gateway.main:create_app",
                gateway_port,
                {
                    **common,
                    "GATEWAY_DATABASE_URL": gateway_url,
                    "GATEWAY_CONSUMER_GROUP": f"p1{tag}-gateway",
                    "GATEWAY_TOPIC_PATTERN": rf"^(p1{tag}-contracts|wages)\.events$",
                },
            ) as gateway_server,
        ):
            await seed_engagements(kafka.bootstrap_servers, pairs, contracts_topic)

            async def seeded():  # in wages and in the gateway (its consumer has joined and caught up)
                return (
                    await wages_db.fetchval("select count(*) from engagements where status = 'signed'") == contracts
                    and await gateway_db.fetchval("select count(*) from contracts where status = 'signed'") == contracts
                )

            await wait_for(seeded, "the engagements")
            headers = {**tokens.headers("platform", platform_id=PLATFORM), "Content-Type": "application/x-ndjson"}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{wages_port}", timeout=600) as client:
                queue: asyncio.Queue[bytes] = asyncio.Queue()
                for body in bodies:
                    queue.put_nowait(body)

                async def uploader():
                    while not queue.empty():
                        body = queue.get_nowait()
                        r = await client.post(
                            "/v1/statements/batches",
                            content=body,
                            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                        )
                        if r.status_code != 201 or r.json()["accepted"] != len(body.splitlines()):
                            raise SystemExit(f"upload failed: {r.status_code} {r.text[:500]}")

                cpu_before = cpu_seconds(wages_server.pid), cpu_seconds(gateway_server.pid)
                start = time.perf_counter()
                await asyncio.gather(*(uploader() for _ in range(in_flight)))
                committed = time.perf_counter()

            async def on_kafka():
                return (
                    await wages_db.fetchval(
                        "select count(*) from outbox where type = 'wages.statements.accepted.v1' "
                        "and published_at is null"
                    )
                    == 0
                )

            published = await wait_for(on_kafka, "the relay")

            async def projected():  # every line, and the batches' totals (a gateway that keeps them)
                kept = await gateway_db.fetchval("select to_regclass('wage_totals') is not null")
                totals = "select coalesce(sum(statements), 0) from wage_totals"
                counted = await gateway_db.fetchval(totals) if kept else total
                return await gateway_db.fetchval("select count(*) from wage_statements") == total and counted == total

            in_gateway = await wait_for(projected, "the gateway")
            wages_cpu = cpu_seconds(wages_server.pid) - cpu_before[0]
            gateway_cpu = cpu_seconds(gateway_server.pid) - cpu_before[1]
            stored = await wages_db.fetchval("select count(*) from statements where status = 'judged'")
            if stored != total:
                raise SystemExit(f"{stored} statements judged and stored, expected {total}")
            compliance_ms = await page_ms(gateway_port, tokens.headers("regulator"), "/v1/wages/compliance")
        copy_seconds = await raw_copy(wages_url, [line for lines in all_lines for line in lines])
    finally:
        await wages_db.close()
        await gateway_db.close()
    e2e = total / (in_gateway - start)
    ceiling = total / copy_seconds
    return {
        "value": e2e,
        "ceiling": ceiling,
        "ratio": e2e / ceiling,
        "unit": "statements/s",
        "statements": total,
        "batch_lines": len(all_lines[0]),
        "in_flight": in_flight,
        "workers": workers,
        "committed_per_s": total / (committed - start),
        "on_kafka_per_s": total / (published - start),
        "seconds": in_gateway - start,
        "copy_seconds": copy_seconds,
        "wages_cpu_ms_per_1000": wages_cpu / total * 1e6,
        "gateway_cpu_ms_per_1000": gateway_cpu / total * 1e6,
        "load_average": os.getloadavg()[0],
        "compliance_p50_ms": compliance_ms,
    }


def report(p1: dict) -> None:
    print(
        f"\nP1 bulk intake: {p1['statements']:,} pay statements in batches of {p1['batch_lines']:,} lines, "
        f"{p1['in_flight']} uploads in flight, {p1['workers']} wages processes"
    )
    print(f"  HTTP → committed rows    {p1['committed_per_s']:10,.0f} statements/s")
    print(f"  … → on Kafka             {p1['on_kafka_per_s']:10,.0f} statements/s")
    print(f"  … → gateway read model   {p1['value']:10,.0f} statements/s  ({p1['seconds']:.1f} s end to end)")
    print(f"  raw COPY, same rows      {p1['ceiling']:10,.0f} rows/s  ({p1['copy_seconds']:.2f} s)")
    print(f"  ratio to raw COPY        {p1['ratio']:10.2f}   (goal ≥ 20,000/s end to end and ≥ 0.25)")
    print(
        f"  CPU per 1,000 statements: wages {p1['wages_cpu_ms_per_1000']:.0f} ms (relay included), gateway "
        f"{p1['gateway_cpu_ms_per_1000']:.0f} ms; load average {p1['load_average']:.1f} on "
        f"{psutil.cpu_count()} cores"
    )
    print(f"  GET /v1/wages/compliance (all platforms and months), p50: {p1['compliance_p50_ms']:.1f} ms")


async def main(args) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        report(
            await measure(
                pg,
                kafka,
                contracts=args.c,
                months=args.m,
                batches=args.b,
                in_flight=args.in_flight,
                workers=args.workers,
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", type=int, default=2000, help="engagements (default 2000)")
    parser.add_argument("-m", type=int, default=5, help="months per batch (lines per batch = c × m; default 5)")
    parser.add_argument("-b", type=int, default=5, help="batches (default 5)")
    parser.add_argument("--in-flight", type=int, default=2, help="uploads in flight (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="wages processes (uvicorn --workers; default 2)")
    asyncio.run(main(parser.parse_args()))
