"""P3 single writes: `POST /v1/contracts` against a minimal FastAPI app validating the same body.

  newform   the contracts service as deployed (uvicorn, uvloop, httptools) on loopback: auth,
            validation, the policy's rejects and findings, classification, the contract row, its
            transition and the outbox rows, one transaction per request
  ceiling   `bench/minimal_app.py`: the same uvicorn, the same body model (`ContractCreate`), no
            auth, no database — what the request stack alone costs

Both are driven by wrk (C requests in flight, D seconds each) in the same run. Prints requests/s,
p50/p99 and the service's CPU per create. Starts its own PostgreSQL and Kafka on free loopback
ports. Usage: python bench/bench_contracts_api.py [-d 10] [-c 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' request builders

from bench.wrk import run_wrk  # noqa: E402
from newform_common.auth import generate_keypair  # noqa: E402
from newform_common.testing import TokenFactory  # noqa: E402
from newform_local.ports import free_port  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402
from tests.kit.contracts import contract_body, credit_code, migrate, phone, resident_id, terms  # noqa: E402

UVICORN_FLAGS = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]


@contextmanager
def uvicorn(app: str, port: int, env: dict[str, str], *, factory: bool):
    """A uvicorn server process as deployed; waits until it answers."""
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        *(["--factory"] if factory else []),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *UVICORN_FLAGS,
    ]
    server = subprocess.Popen(args, env=env, cwd=Path(__file__).resolve().parent.parent)
    try:
        for _ in range(300):
            if server.poll() is not None:  # it refused to start (a missing setting, say): say so, do not wait
                raise SystemExit(f"{app} exited with {server.returncode} before answering")
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def contracts_env(url: str, bootstrap: str, public_pem: str) -> dict[str, str]:
    return {
        **os.environ,
        "CONTRACTS_DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "JWT_PUBLIC_KEY": public_pem,
        "CONTRACTS_SIGNING_KEY": generate_keypair()[0],
        "PII_SECRET": "bench-pii-secret-of-at-least-32-bytes!!",
        "LOG_LEVEL": "WARNING",
        # One caller sends every request: a limit high enough never to refuse, still checked per request.
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "RATE_LIMIT_BURST": "1000000",
    }


async def seed(base: str, tokens: TokenFactory, workers: int = 1) -> tuple[dict[str, str], list[str]]:
    """A platform and `workers` registered workers; returns the platform's headers and registrations."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post(
            "/v1/platforms",
            headers=tokens.headers("admin"),
            json={
                "platform_id": "bench",
                "name": "基准平台",
                "credit_code": credit_code(),
                "district": "chengzhong",
                "occupations": ["food_delivery"],
            },
        )
        assert r.status_code == 201, r.text
        platform = tokens.headers("platform", platform_id="bench")
        registrations = []
        for _ in range(workers):
            r = await client.post(
                "/v1/workers",
                headers=platform,
                json={
                    "name": "李四",
                    "id_number": resident_id(),
                    "phone": phone(),
                    "occupation": "food_delivery",
                    "household_registration_place": "青海省西宁市城东区",
                    "residence_district": "chengdong",
                },
            )
            assert r.status_code == 201, r.text
            registrations.append(r.json()["registration_id"])
    return platform, registrations


async def measure(pg, kafka, *, seconds: float = 10, concurrency: int = 8) -> dict:
    pg.create_database("p3")
    url = pg.url("p3")
    await migrate(url)
    tokens = TokenFactory.generate()
    env = contracts_env(url, kafka.bootstrap_servers, tokens.public_pem)
    port = free_port()
    with uvicorn("newform_contracts.main:create_app", port, env, factory=True) as server:
        base = f"http://127.0.0.1:{port}"
        platform, registrations = await seed(base, tokens)
        body = json.dumps(
            contract_body(registrations[0], "bench", part_time=True, terms=terms(pay_period="day")), ensure_ascii=False
        )
        target = f"{base}/v1/contracts"
        run_wrk(target, body=body, headers=platform, connections=concurrency, seconds=2)  # warm-up
        if os.environ.get("BENCH_PROFILE_SERVER"):  # e.g. "py-spy record -f raw -o spy.txt -d 8 --pid"
            subprocess.Popen([*os.environ["BENCH_PROFILE_SERVER"].split(), str(server.pid)])
        cpu_before = cpu_seconds(server.pid)
        ours = run_wrk(target, body=body, headers=platform, connections=concurrency, seconds=seconds)
        cpu = cpu_seconds(server.pid) - cpu_before
    ours["cpu_ms_per_request"] = cpu / max(ours["requests"], 1) * 1000
    port = free_port()
    with uvicorn(
        "bench.minimal_app:app", port, {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}, factory=False
    ):
        target = f"http://127.0.0.1:{port}/v1/contracts"
        run_wrk(target, body=body, headers={}, connections=concurrency, seconds=2)
        ceiling = run_wrk(target, body=body, headers={}, connections=concurrency, seconds=seconds)
    if ours["non2xx"] or ours["socket_errors"]:
        raise SystemExit(f"POST /v1/contracts answered errors under load: {ours}")
    return {
        "value": ours["rps"],
        "ceiling": ceiling["rps"],
        "ratio": ours["rps"] / ceiling["rps"],
        "unit": "req/s",
        "p50_ms": ours["p50_ms"],
        "p99_ms": ours["p99_ms"],
        "cpu_ms_per_request": ours["cpu_ms_per_request"],
        "ceiling_p99_ms": ceiling["p99_ms"],
        "concurrency": concurrency,
    }


def report(p3: dict) -> None:
    print(f"\nP3 POST /v1/contracts, {p3['concurrency']} in flight (wrk)")
    print(
        f"  newform  {p3['value']:8.0f} req/s  p50 {p3['p50_ms']:.1f} ms  p99 {p3['p99_ms']:.1f} ms  "
        f"service CPU {p3['cpu_ms_per_request']:.2f} ms/request"
    )
    print(
        f"  ceiling  {p3['ceiling']:8.0f} req/s  p99 {p3['ceiling_p99_ms']:.1f} ms  (minimal FastAPI app, same body "
        f"model)  ratio {p3['ratio']:.2f}"
    )


async def main(seconds: float, concurrency: int) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        report(await measure(pg, kafka, seconds=seconds, concurrency=concurrency))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", type=float, default=10, help="seconds of load per server (default 10)")
    parser.add_argument("-c", type=int, default=8, help="requests in flight (default 8)")
    args = parser.parse_args()
    asyncio.run(main(args.d, args.c))
