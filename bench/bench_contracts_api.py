"""P3 single writes: `POST /v1/contracts` against a minimal FastAPI app validating the same body.

  newform   the contracts service as deployed (uvicorn, uvloop, httptools) on loopback: auth,
            validation, the policy's rejects and findings, classification, the contract row, its
            transition and the outbox rows, one transaction per request
  ceiling   `bench/minimal_app.py`: the same uvicorn, the same body model (`ContractCreate`), no
            auth, no database — what the request stack alone costs

Both are driven by wrk (C requests in flight, D seconds each) in the same run. Prints requests/s,
p50/p99 and the service's CPU per create. Starts its own PostgreSQL and Kafka on free loopback
ports. Usage: python bench/bench_contracts_api.py [-d 10] [-c 8] [--full-stack]

  --full-stack  every registered service runs (contracts, wages, disputes, training, departments,
                unions, gateway; rate limit off) on the same servers, so every consumer consumes the
                creates; CPU per create is summed over all service processes from the start of the
                load until every consumer group has caught up with every topic, and shown per
                service (the summary's `p3_full_stack`)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg
import httpx
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' request builders

from bench.wrk import run_wrk  # noqa: E402
from newform_common import registry  # noqa: E402
from newform_common.auth import generate_keypair  # noqa: E402
from newform_common.kafka import TopicLayout, ensure_topics  # noqa: E402
from newform_common.migrations import upgrade  # noqa: E402
from newform_common.settings import database_url_for  # noqa: E402
from newform_common.testing import TokenFactory  # noqa: E402
from newform_local.keys import Keys  # noqa: E402
from newform_local.ports import free_port  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402
from tests.kit.contracts import contract_body, credit_code, migrate, phone, resident_id, terms  # noqa: E402

IDLE_SECONDS = 3.0
# A backend that goes idle reports its transaction counts within 10 s (PostgreSQL 15+, PGSTAT_IDLE_INTERVAL).
STATS_FLUSH_SECONDS = 11.0
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
    """The process's CPU and its children's (a service that starts a helper process pays for it too)."""
    process = psutil.Process(pid)
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


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
    ceiling = measure_ceiling(body, seconds=seconds, concurrency=concurrency)
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


def stack_env(pg, kafka, keys: Keys, tokens: TokenFactory, ports: dict[str, int]) -> dict[str, str]:
    """What `newform_local.stack` gives every service, on the bench's servers: own databases, the bench's
    token key, rate limit off (RATE_LIMIT_PER_MINUTE=0)."""
    urls = {f"{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    return {
        **env,
        "DATABASE_URL": pg.url("postgres"),
        **{f"{name.upper()}_DATABASE_URL": pg.url(f"p3full_{name}") for name in ports},
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "JWT_PUBLIC_KEY": tokens.public_pem,
        "PII_SECRET": keys.pii_secret.read_text().strip(),
        "CONTRACTS_SIGNING_KEY_FILE": str(keys.seal_private),
        "CREDIT_EXPORT_SIGNING_KEY_FILE": str(keys.credit_export_private),
        "TOKEN_SIGNING_KEY_FILE": str(keys.token_private),
        "GATEWAY_CLIENTS_FILE": str(keys.clients),
        "WORKER_APP_URL": f"{urls.get('GATEWAY_URL', 'http://127.0.0.1')}/app/",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "0",
        **urls,
    }


async def fresh_topics(bootstrap: str) -> None:
    """The registry's topics, empty: an earlier benchmark of this run (P3 alone) wrote `contracts.events`,
    and the stack's new consumer groups would start from its first record."""
    topics = registry.topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        present = [t for t in topics if t in set(await admin.list_topics())]
        if present:
            await admin.delete_topics(present)
        for _ in range(100):  # a deleted topic is gone a moment after the answer
            if not set(present) & set(await admin.list_topics()):
                break
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    await ensure_topics(bootstrap, topics, layout=TopicLayout.from_env(os.environ))


async def consumer_groups(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {group for group, *_ in await admin.list_consumer_groups()}
    finally:
        await admin.close()


async def consumer_lag(bootstrap: str, ignore: frozenset[str] = frozenset()) -> int:
    """Records not yet consumed, summed over every consumer group but `ignore`d ones and the partitions
    it commits."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed: dict[tuple[str, TopicPartition], int] = {}
        for group, *_ in await admin.list_consumer_groups():
            if group in ignore:
                continue
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                committed[(group, tp)] = meta.offset
    finally:
        await admin.close()
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed")
    await probe.start()
    try:
        ends = await probe.end_offsets(list({tp for _, tp in committed}))
    finally:
        await probe.stop()
    return sum(max(ends[tp] - offset, 0) for (_, tp), offset in committed.items())


async def drained(bootstrap: str, ignore: frozenset[str] = frozenset(), timeout: float = 180) -> float:
    """Waits until every consumer group but `ignore`d ones has caught up (twice in a row); returns the seconds
    it took."""
    started, quiet = time.monotonic(), 0
    while time.monotonic() - started < timeout:
        quiet = quiet + 1 if await consumer_lag(bootstrap, ignore) == 0 else 0
        if quiet >= 2:
            return time.monotonic() - started
        await asyncio.sleep(0.25)
    raise SystemExit(f"the consumers did not catch up within {timeout:.0f} s")


async def database_counts(pg, names: list[str]) -> dict[str, tuple[int, int]]:
    """Per service: events its consumers have handled (inbox rows: the proof that they consumed) and
    transactions committed in its database (what a consumer polling per relay cycle multiplies)."""
    counts = {}
    for name in names:
        conn = await asyncpg.connect(pg.url(f"p3full_{name}").replace("+asyncpg", ""))
        try:
            counts[name] = (
                await conn.fetchval("select count(*) from inbox where outcome = 'handled'"),
                await conn.fetchval("select xact_commit from pg_stat_database where datname = current_database()"),
            )
        finally:
            await conn.close()
    return counts


def infrastructure_pids(pg, kafka) -> dict[str, int]:
    """The bench's PostgreSQL (its postmaster; `cpu_seconds` adds the backends) and Kafka broker."""
    pids = {}
    try:
        pids["postgres"] = int((Path(pg.data_dir) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    if getattr(kafka, "pid", None):
        pids["kafka"] = kafka.pid
    return pids


def service_order() -> list[str]:
    """Contracts first (the others' consumers need its topic), the gateway last (it reads them all)."""
    names = registry.installed_names()
    return sorted(names, key=lambda n: (n != "contracts", n == "gateway"))


async def measure_full_stack(pg, kafka, *, seconds: float = 10, concurrency: int = 8) -> dict:
    """P3 with every registered service running and consuming the creates (see the module's text)."""
    names = service_order()
    folder = tempfile.TemporaryDirectory(prefix="newform-p3full-")
    keys = Keys(Path(folder.name) / "keys").ensure()
    tokens = TokenFactory.generate()
    ports = {name: free_port() for name in names}
    env = stack_env(pg, kafka, keys, tokens, ports)
    await fresh_topics(kafka.bootstrap_servers)
    # `make bench` shares its broker: the earlier benchmarks' groups stay behind, lagging for good
    others = frozenset(await consumer_groups(kafka.bootstrap_servers))
    for name in names:
        pg.create_database(f"p3full_{name}")
        await asyncio.to_thread(upgrade, f"newform_{name}", database_url_for(name, env))
    servers_alone = infrastructure_pids(pg, kafka)
    alone = {name: cpu_seconds(pid) for name, pid in servers_alone.items()}
    await asyncio.sleep(IDLE_SECONDS)  # the servers' own idle, before any service connects
    alone = {f"{n} alone": (cpu_seconds(pid) - alone[n]) / IDLE_SECONDS * 1000 for n, pid in servers_alone.items()}
    with folder, ExitStack() as stack:
        servers = {
            name: stack.enter_context(uvicorn(f"newform_{name}.main:create_app", ports[name], env, factory=True))
            for name in names
        }
        base = f"http://127.0.0.1:{ports['contracts']}"
        platform, registrations = await seed(base, tokens)
        body = json.dumps(
            contract_body(registrations[0], "bench", part_time=True, terms=terms(pay_period="day")), ensure_ascii=False
        )
        target = f"{base}/v1/contracts"
        run_wrk(target, body=body, headers=platform, connections=concurrency, seconds=2)  # warm-up
        await drained(kafka.bootstrap_servers, others)
        pids = {name: server.pid for name, server in servers.items()} | infrastructure_pids(pg, kafka)
        await asyncio.sleep(STATS_FLUSH_SECONDS)
        counted = await database_counts(pg, names)
        idle = {name: cpu_seconds(pid) for name, pid in pids.items()}
        await asyncio.sleep(IDLE_SECONDS)  # what the stack burns with nothing to do (polls, timers)
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        idle = {name: (before[name] - idle[name]) / IDLE_SECONDS * 1000 for name in pids}
        if os.environ.get("BENCH_PROFILE_SERVER"):  # e.g. "py-spy record -f raw -o spy-{name}.txt -d 8 --pid"
            for name, server in servers.items():
                subprocess.Popen([*os.environ["BENCH_PROFILE_SERVER"].format(name=name).split(), str(server.pid)])
        window = time.monotonic()
        ours = run_wrk(target, body=body, headers=platform, connections=concurrency, seconds=seconds)
        drain_s = await drained(kafka.bootstrap_servers, others)
        cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        window = time.monotonic() - window
        await asyncio.sleep(STATS_FLUSH_SECONDS)
        counted = {
            n: (rows - counted[n][0], commits - counted[n][1])
            for n, (rows, commits) in (await database_counts(pg, names)).items()
        }
    if ours["non2xx"] or ours["socket_errors"]:
        raise SystemExit(f"POST /v1/contracts answered errors under load (full stack): {ours}")
    ceiling = measure_ceiling(body, seconds=seconds, concurrency=concurrency)
    per_create = {name: used / max(ours["requests"], 1) * 1000 for name, used in cpu.items()}
    # Less what the same processes burn idle over the same window: what a create itself adds.
    marginal = {n: ms - idle[n] * window / max(ours["requests"], 1) for n, ms in per_create.items()}
    return {
        "value": ours["rps"],
        "ceiling": ceiling["rps"],
        "ratio": ours["rps"] / ceiling["rps"],
        "unit": "req/s",
        "p50_ms": ours["p50_ms"],
        "p99_ms": ours["p99_ms"],
        "cpu_ms_per_request": sum(ms for name, ms in per_create.items() if name in names),
        "cpu_ms_per_request_by_service": {name: per_create[name] for name in names},
        "cpu_ms_per_request_infrastructure": {n: ms for n, ms in per_create.items() if n not in names},
        "idle_cpu_ms_per_s": idle | alone,
        "marginal_cpu_ms_per_request": marginal,
        "events_handled_per_request": {n: rows / max(ours["requests"], 1) for n, (rows, _) in counted.items()},
        "commits_per_request": {n: commits / max(ours["requests"], 1) for n, (_, commits) in counted.items()},
        "drain_s": drain_s,
        "ceiling_p99_ms": ceiling["p99_ms"],
        "concurrency": concurrency,
        "services": names,
    }


def measure_ceiling(body: str, *, seconds: float, concurrency: int) -> dict:
    """The minimal app (`bench/minimal_app.py`) under the same load."""
    port = free_port()
    with uvicorn(
        "bench.minimal_app:app", port, {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}, factory=False
    ):
        target = f"http://127.0.0.1:{port}/v1/contracts"
        run_wrk(target, body=body, headers={}, connections=concurrency, seconds=2)
        return run_wrk(target, body=body, headers={}, connections=concurrency, seconds=seconds)


def report_full_stack(f: dict) -> None:
    services = ", ".join(f["services"])
    print(f"\nP3 full stack: POST /v1/contracts with {services} consuming, {f['concurrency']} in flight")
    print(
        f"  newform  {f['value']:8.0f} req/s  p50 {f['p50_ms']:.1f} ms  p99 {f['p99_ms']:.1f} ms  "
        f"CPU {f['cpu_ms_per_request']:.2f} ms/create over all services (consumers caught up {f['drain_s']:.1f} s "
        "after the load)"
    )
    print("  CPU ms/create: " + ", ".join(f"{n} {ms:.2f}" for n, ms in f["cpu_ms_per_request_by_service"].items()))
    infrastructure = f["cpu_ms_per_request_infrastructure"].items()
    print("  and the servers (the bench's own): " + ", ".join(f"{n} {ms:.2f}" for n, ms in infrastructure))
    print(
        "  less idle, CPU ms/create: "
        + ", ".join(f"{n} {ms:.2f}" for n, ms in f["marginal_cpu_ms_per_request"].items())
    )
    handled = f["events_handled_per_request"].items()
    print("  events handled (inbox rows) per create: " + ", ".join(f"{n} {k:.2f}" for n, k in handled))
    commits = f["commits_per_request"].items()
    print("  transactions committed per create: " + ", ".join(f"{n} {k:.2f}" for n, k in commits))
    print("  idle, CPU ms per second: " + ", ".join(f"{n} {ms:.0f}" for n, ms in f["idle_cpu_ms_per_s"].items()))
    print(f"  ceiling  {f['ceiling']:8.0f} req/s  p99 {f['ceiling_p99_ms']:.1f} ms  ratio {f['ratio']:.3f}")


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


async def main(seconds: float, concurrency: int, full_stack: bool) -> None:
    with throwaway_servers("newform-bench-") as (pg, kafka):
        if full_stack:
            report_full_stack(await measure_full_stack(pg, kafka, seconds=seconds, concurrency=concurrency))
        else:
            report(await measure(pg, kafka, seconds=seconds, concurrency=concurrency))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", type=float, default=10, help="seconds of load per server (default 10)")
    parser.add_argument("-c", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument(
        "--full-stack", action="store_true", help="every registered service running and consuming (p3_full_stack)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.d, args.c, args.full_stack))
