"""Contracts API benchmark: drafting contracts over HTTP against the raw-database ceiling.

  newform   POST /v1/contracts through a real uvicorn server on loopback: auth, validation, the
            policy's rejects and findings, classification, the contract row, its transition and
            the outbox rows, one transaction per request — C requests in flight
  ceiling   the same database writes without the service: raw asyncpg, one transaction per
            contract inserting a contract row, a transition row and an outbox row, C connections

Prints contracts/s and the ratio newform/ceiling. Starts its own PostgreSQL and Kafka on free
loopback ports. Usage: python bench/bench_contracts_api.py [-n 1000] [-c 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' request builders

from newform_common.auth import generate_keypair  # noqa: E402
from newform_common.testing import TokenFactory  # noqa: E402
from newform_local.ports import free_port  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402
from tests.contracts.helpers import contract_body, credit_code, migrate, phone, resident_id  # noqa: E402


async def in_flight(n: int, concurrency: int, one) -> float:
    queue = iter(range(n))

    async def worker():
        for i in queue:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def bench_api(url: str, bootstrap: str, n: int, concurrency: int) -> float:
    """The service runs as its own uvicorn process, as deployed; the client is this process."""
    tokens = TokenFactory.generate()
    await migrate(url)
    port = free_port()
    env = {**os.environ, "CONTRACTS_DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "JWT_PUBLIC_KEY": tokens.public_pem, "CONTRACTS_SIGNING_KEY": generate_keypair()[0],
           "PII_SECRET": "bench-pii-secret-of-at-least-32-bytes!!", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "newform_contracts.main:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
                              env=env)
    if os.environ.get("BENCH_PROFILE_SERVER"):  # a person's tool, e.g. "py-spy record -f raw -o spy.txt --pid"
        subprocess.Popen([*os.environ["BENCH_PROFILE_SERVER"].split(), str(server.pid)])
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(200):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            admin = tokens.headers("admin")
            r = await client.post("/v1/platforms", headers=admin, json={
                "platform_id": "bench", "name": "基准平台", "credit_code": credit_code(), "district": "chengzhong",
                "occupations": ["food_delivery"]})
            assert r.status_code == 201, r.text
            platform = tokens.headers("platform", platform_id="bench")
            registrations = []
            for _ in range(min(n, 200)):
                r = await client.post("/v1/workers", headers=platform, json={
                    "name": "李四", "id_number": resident_id(), "phone": phone(), "occupation": "food_delivery",
                    "household_registration_place": "青海省西宁市城东区", "residence_district": "chengdong"})
                assert r.status_code == 201, r.text
                registrations.append(r.json()["registration_id"])

            async def draft(i: int):
                body = contract_body(registrations[i % len(registrations)], "bench", part_time=True)
                response = await client.post("/v1/contracts", headers=platform, json=body)
                assert response.status_code == 201, response.text

            await in_flight(min(50, n), concurrency, draft)  # warm-up
            cpu_before = psutil.Process(server.pid).cpu_times()
            seconds = await in_flight(n, concurrency, draft)
            cpu_after = psutil.Process(server.pid).cpu_times()
            cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
            print(f"service process CPU per draft: {cpu / n * 1000:.1f} ms "
                  f"({cpu / seconds:.0%} of one core while drafting)")
            return seconds
    finally:
        server.terminate()
        server.wait(timeout=30)


async def bench_raw(dsn: str, n: int, concurrency: int) -> float:
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    await pool.execute("""
        create table raw_contracts (id text primary key, worker_id text, platform_id text, terms jsonb,
                                    document_text text, status text, created_at timestamptz default now());
        create table raw_transitions (id bigserial primary key, contract_id text, to_status text,
                                      at timestamptz default now());
        create table raw_outbox (id bigserial primary key, event_id text unique, topic text, key text,
                                 type text, data jsonb, created_at timestamptz default now());
    """)
    body = contract_body("r", "bench")

    async def insert(i: int):
        cid = uuid.uuid4().hex
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("insert into raw_contracts (id, worker_id, platform_id, terms, document_text, status) "
                               "values ($1, $2, 'bench', $3, $4, 'draft')", cid, f"w_{i % 200}",
                               json.dumps(body["terms"]), body["document_text"])
            await conn.execute("insert into raw_transitions (contract_id, to_status) values ($1, 'draft')", cid)
            await conn.execute("insert into raw_outbox (event_id, topic, key, type, data) values ($1, "
                               "'contracts.events', $2, 'contracts.contract.drafted.v1', $3)",
                               uuid.uuid4().hex, f"w_{i % 200}", json.dumps(body))

    await in_flight(min(50, n), concurrency, insert)
    seconds = await in_flight(n, concurrency, insert)
    await pool.close()
    return seconds


async def main(n: int, concurrency: int) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        pg.create_database("api")
        pg.create_database("raw")
        raw = await bench_raw(pg.url("raw").replace("postgresql+asyncpg", "postgresql"), n, concurrency)
        ours = await bench_api(pg.url("api"), kafka.bootstrap_servers, n, concurrency)
    print(f"\ncontracts API, n={n} drafts, {concurrency} in flight (2-core machine, loopback)")
    print(f"{'':<44}{'contracts/s':>12}")
    print(f"{'newform POST /v1/contracts (HTTP, rules, outbox)':<44}{n / ours:>12.0f}")
    print(f"{'ceiling: raw asyncpg, same rows, 1 tx each':<44}{n / raw:>12.0f}")
    print(f"{'ratio newform/ceiling':<44}{raw / ours:>12.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="contracts to draft (default 1000)")
    parser.add_argument("-c", type=int, default=8, help="requests in flight (default 8)")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.c))
