"""The regulator's view at province scale (issue 25): `make bench-scale`.

For each size (by default 100,000 and 1,000,000 workers):
  1. a synthetic province (`bench/scale_province.py`: 40 platforms, 12 months, ~51 facts per worker —
     50 million at 1,000,000 workers) is written straight into a gateway database's event log;
  2. `newform gateway rebuild --from-log`, run as an operator runs it, turns that log into a fresh
     gateway database — timed from outside: the rebuild of the whole history (P4); then VACUUM (ANALYZE)
     and a CHECKPOINT, as an operator settles a rebuilt database before serving it (timed apart);
  3. the gateway, as deployed (uvicorn), serves that database; every dashboard page and every list
     endpoint the regulator and the departments use, with its common filters, is requested 50 times
     (p50, p95), after one warm-up request;
  4. cold: the gateway stopped, PostgreSQL restarted and the OS page cache dropped (where this
     process may), the gateway started again — the first request of each endpoint.
Goals: every page and list p95 ≤ 200 ms at 1,000,000 workers; growth from 100,000 to 1,000,000
(sum of p50s) ≤ 1.5×; rebuild ≥ 100,000 facts/s. The figures go into `.data/bench/summary.json`
(keys `scale_pages_p95_ms`, `scale_growth`, `p4`) beside `make bench`'s, with the machine.

PostgreSQL runs with the settings a server of this size would have (`SERVER_SETTINGS`), not the
test defaults. Disk: ~40 GB at 1,000,000 workers (the source log, the rebuilt log and read models).
Usage: python bench/bench_scale.py [--workers 1000000] [--small 100000] [--requests 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scale_province  # noqa: E402
from bench.bench_contracts_api import uvicorn  # noqa: E402
from newform_common.auth import generate_keypair  # noqa: E402
from newform_common.migrations import upgrade  # noqa: E402
from newform_common.testing import TokenFactory  # noqa: E402
from newform_local.kafka import LocalKafka  # noqa: E402
from newform_local.ports import free_port  # noqa: E402
from newform_local.postgres import EmbeddedPostgres  # noqa: E402
from newform_local.throwaway import throwaway_servers  # noqa: E402

SUMMARY = ROOT / ".data" / "bench" / "summary.json"

#: What a database server for a province would be given on this 24 GB machine (a quarter of memory for
#: shared buffers, room for sorts and index builds, checkpoints spaced for bulk loads).
SERVER_SETTINGS = {
    "shared_buffers": "4GB",
    "effective_cache_size": "16GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "max_parallel_workers_per_gather": "2",
    "jit": "off",
}

#: The credit export is signed (M20); a key for this run.
CREDIT_EXPORT_KEY = generate_keypair()[0]

PAGE_GOAL_MS = 200.0
GROWTH_GOAL = 1.5
REBUILD_GOAL = 100_000


def endpoints(today: date) -> list[tuple[str, str, str]]:
    """(name, path, who asks): every dashboard page and gateway list, with the filters people use."""
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    day = (today - timedelta(days=1)).isoformat()
    api = [
        ("overview", "/v1/overview", "regulator"),
        ("alerts", "/v1/alerts", "regulator"),
        ("alerts open", "/v1/alerts?status=open", "regulator"),
        ("alerts overdue", "/v1/alerts?overdue=true", "regulator"),
        ("alerts by measure", "/v1/alerts?measure=M6", "regulator"),
        ("alerts by department", "/v1/alerts?department=hrss", "regulator"),
        ("alerts by district", "/v1/alerts?district=chengxi", "regulator"),
        ("alerts by platform", "/v1/alerts?platform_id=p_7", "regulator"),
        ("alerts by month", f"/v1/alerts?month={month}", "regulator"),
        ("alerts of hrss, open", "/v1/alerts?status=open", "hrss"),
        ("alerts of a district government", "/v1/alerts", "county"),
        ("platforms", "/v1/platforms", "regulator"),
        ("platform detail", "/v1/platforms/p_7", "regulator"),
        ("platform scorecard", "/v1/platforms/p_7/scorecard", "regulator"),
        ("enterprises", "/v1/enterprises", "regulator"),
        ("worker timeline", "/v1/workers/w_77/timeline", "regulator"),
        ("credit records", "/v1/credit-records", "regulator"),
        ("credit listings", "/v1/credit-listings", "regulator"),
        ("credit export of a day", f"/v1/credit-exports?from={day}&to={day}", "regulator"),
        ("wages compliance", "/v1/wages/compliance", "regulator"),
        ("wages compliance, platform and month", f"/v1/wages/compliance?platform_id=p_7&month={month}", "regulator"),
        ("wages arrears", "/v1/wages/arrears", "regulator"),
        ("working time", "/v1/wages/working-time", "regulator"),
        ("disputes overview", "/v1/disputes/overview", "regulator"),
        ("disputes escalations", "/v1/disputes/escalations", "regulator"),
        ("legal aid", "/v1/disputes/legal-aid", "regulator"),
        ("training summary", "/v1/training/summary", "regulator"),
        ("department facts", "/v1/department-facts/summary", "regulator"),
        ("rest stations coverage", "/v1/rest-stations/coverage", "regulator"),
        ("weather warnings", "/v1/weather-warnings", "regulator"),
        ("union subjects", "/v1/unions/subjects", "regulator"),
        ("union coverage", "/v1/unions/coverage", "regulator"),
        ("measures", "/v1/measures", "regulator"),
        ("clocks recomputed by a holiday schedule", "/v1/calendar/recomputed", "regulator"),
    ]
    pages = [
        ("page: overview", "/", "regulator"),
        ("page: alerts", "/alerts", "regulator"),
        ("page: alerts, open of hrss", "/alerts?status=open", "hrss"),
        ("page: platforms", "/platforms", "regulator"),
        ("page: worker", "/workers?worker_id=w_77", "regulator"),
        ("page: wages", "/wages", "regulator"),
        ("page: disputes", "/disputes", "regulator"),
        ("page: training", "/training", "regulator"),
        ("page: departments", "/departments", "regulator"),
        ("page: unions", "/unions", "regulator"),
        ("page: weather", "/weather", "regulator"),
        ("page: measures", "/measures", "regulator"),
    ]
    return api + pages


def credentials(tokens: TokenFactory) -> dict[str, str]:
    return {
        "regulator": tokens.token("regulator", subject="inspector-1"),
        "hrss": tokens.token("department", subject="hrss-1", department="hrss"),
        "county": tokens.token("department", subject="chengxi-1", department="county", district="chengxi"),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def request(client: httpx.Client, path: str, token: str) -> float:
    """One request as its user makes it (a page with the session cookie, the API with a bearer
    token); its time in ms. Anything but 200 stops the benchmark: a fast error is not a page."""
    api = path.startswith("/v1/")
    headers = {"Authorization": f"Bearer {token}"} if api else {"Cookie": f"newform_token={token}"}
    started = time.perf_counter()
    r = client.get(path, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        raise SystemExit(f"GET {path}: {r.status_code} {r.text[:300]}")
    return elapsed


def time_endpoints(base: str, tokens: dict[str, str], requests: int, today: date) -> dict[str, dict[str, float]]:
    figures = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for name, path, who in endpoints(today):
            request(client, path, tokens[who])  # warm-up
            samples = [request(client, path, tokens[who]) for _ in range(requests)]
            figures[name] = {"p50_ms": statistics.median(samples), "p95_ms": percentile(samples, 95)}
            print(f"    {name:<40}{figures[name]['p50_ms']:>9.1f} ms{figures[name]['p95_ms']:>9.1f} ms", flush=True)
    return figures


def time_cold(base: str, tokens: dict[str, str], today: date) -> dict[str, float]:
    with httpx.Client(base_url=base, timeout=300) as client:
        return {name: request(client, path, tokens[who]) for name, path, who in endpoints(today)}


def drop_page_cache() -> bool:
    """The OS page cache emptied, where this process may (root); False otherwise."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def gateway_env(url: str, kafka: str, public_pem: str) -> dict[str, str]:
    return {
        **os.environ,
        "GATEWAY_DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "JWT_PUBLIC_KEY": public_pem,
        "LOG_LEVEL": "WARNING",
        "PII_SECRET": "bench-pii-secret-of-at-least-32-bytes!!",
        "GATEWAY_TOPIC_PATTERN": r"^bench-scale-none\.events$",  # it serves; nothing to consume
        "GATEWAY_RUN_DELIVERER": "false",
        "CREDIT_EXPORT_SIGNING_KEY": CREDIT_EXPORT_KEY,
        "RATE_LIMIT_PER_MINUTE": "100000000",  # 50 requests per endpoint from one client
        "RATE_LIMIT_BURST": "1000000",
    }


async def filled_before(server: str, workers: int) -> scale_province.Filled | None:
    """The province of this size a run before filled on this server (`--data`), if any."""
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(
            "create table if not exists bench_provinces (workers int primary key, events bigint, facts bigint, "
            "seconds float8)"
        )
        row = await conn.fetchrow("select * from bench_provinces where workers = $1", workers)
    finally:
        await conn.close()
    return scale_province.Filled(**dict(row)) if row else None


async def remember_filled(server: str, filled: scale_province.Filled) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(
            "insert into bench_provinces values ($1, $2, $3, $4)",
            filled.workers,
            filled.events,
            filled.facts,
            filled.seconds,
        )
    finally:
        await conn.close()


async def drop_database(server: str, name: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await conn.close()


async def settle(url: str) -> float:
    """What an operator does after a rebuild before switching the dashboards to it: VACUUM (ANALYZE) — the
    visibility map and hint bits of the freshly written read models, their statistics — and a CHECKPOINT,
    so that the first requests neither write hint bits nor meet autovacuum and the checkpoint of 50 million
    written rows (their p95 was ~360 ms without it). Seconds taken, reported beside the rebuild's."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("vacuum (analyze)")
        await conn.execute("checkpoint")
    finally:
        await conn.close()
    return time.perf_counter() - started


def rebuild_as_operator(live_url: str, into: str) -> dict[str, Any]:
    """`newform gateway rebuild --from-log --into URL`, as an operator runs it (its own process, the live
    database named by GATEWAY_DATABASE_URL); its JSON summary, with the wall-clock seconds."""
    newform = str(Path(sys.executable).parent / "newform")
    env = {**os.environ, "GATEWAY_DATABASE_URL": live_url, "PII_SECRET": "bench-pii-secret-of-at-least-32-bytes!!"}
    started = time.perf_counter()
    done = subprocess.run(
        [newform, "gateway", "rebuild", "--from-log", "--into", into], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"newform gateway rebuild --from-log failed: {done.stderr[-2000:]}")
    return {**json.loads(done.stdout), "seconds": time.perf_counter() - started}


@contextmanager
def gateway(url: str, kafka: str, public_pem: str):
    port = free_port()
    with uvicorn("newform_gateway.main:create_app", port, gateway_env(url, kafka, public_pem), factory=True):
        yield f"http://127.0.0.1:{port}"


async def one_size(pg, kafka, workers: int, requests: int, cold: bool) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    source = f"province_{workers}"
    source_url = pg.url(source)
    server = pg.url().replace("postgresql+asyncpg", "postgresql")
    filled = await filled_before(server, workers)
    if filled is None:
        pg.create_database(source)
        await asyncio.to_thread(upgrade, "newform_gateway", source_url)
        print(f"[{workers:,} workers] writing the province into the event log …", flush=True)
        filled = await scale_province.fill(source_url.replace("postgresql+asyncpg", "postgresql"), workers)
        await remember_filled(server, filled)
    else:
        print(f"[{workers:,} workers] the province filled before (--data)", flush=True)
    print(f"  {filled.facts:,} facts in {filled.events:,} events, {filled.seconds:.0f} s", flush=True)
    await drop_database(server, f"{source}_rebuilt")
    print("  rebuilding the read models from the log …", flush=True)
    rebuilt = await asyncio.to_thread(rebuild_as_operator, source_url, pg.url(f"{source}_rebuilt"))
    seconds = rebuilt["seconds"]
    print(f"  rebuilt in {seconds:.1f} s: {filled.facts / seconds:,.0f} facts/s {rebuilt['timings_s']}", flush=True)
    settled = await settle(rebuilt["database_url"])
    print(f"  vacuum (analyze) and checkpoint before serving: {settled:.0f} s", flush=True)
    tokens = TokenFactory.generate()
    who = credentials(tokens)
    with gateway(rebuilt["database_url"], kafka.bootstrap_servers, tokens.public_pem) as base:
        print(f"  timing {len(endpoints(today))} endpoints × {requests} …", flush=True)
        warm = time_endpoints(base, who, requests, today)
    cold_first: dict[str, float] = {}
    dropped = False
    if cold:
        pg.stop()
        dropped = drop_page_cache()
        pg.start()
        with gateway(rebuilt["database_url"], kafka.bootstrap_servers, tokens.public_pem) as base:
            cold_first = time_cold(base, who, today)
    return {
        "workers": workers,
        "facts": filled.facts,
        "events": filled.events,
        "fill_seconds": filled.seconds,
        "settle_seconds": settled,
        "rebuild": {
            "seconds": seconds,
            # every fact of the log, whether the SQL or the Python projections made its rows
            "facts_per_s": filled.facts / seconds,
            "events_per_s": filled.events / seconds,
            "facts_in_sql": rebuilt["facts"],
            "events_in_python": rebuilt["events_in_python"],
            "timings_s": rebuilt["timings_s"],
        },
        "warm": warm,
        "cold_first_ms": cold_first,
        "page_cache_dropped": dropped,
    }


def figures(small: dict[str, Any], large: dict[str, Any]) -> dict[str, dict[str, Any]]:
    worst = max(large["warm"].items(), key=lambda kv: kv[1]["p95_ms"])
    growth = {name: large["warm"][name]["p50_ms"] / small["warm"][name]["p50_ms"] for name in large["warm"]}
    total_growth = sum(v["p50_ms"] for v in large["warm"].values()) / sum(v["p50_ms"] for v in small["warm"].values())
    rebuild = large["rebuild"]
    return {
        "scale_pages_p95_ms": {
            "value": worst[1]["p95_ms"],
            "ceiling": None,
            "ratio": None,
            "unit": f"ms, the slowest p95 of {len(large['warm'])} pages and lists at {large['workers']:,} workers "
            f"({worst[0]})",
            "goal": f"every p95 ≤ {PAGE_GOAL_MS:.0f} ms",
            "met": worst[1]["p95_ms"] <= PAGE_GOAL_MS,
            "over_goal": {n: v for n, v in large["warm"].items() if v["p95_ms"] > PAGE_GOAL_MS},
            "pages": large["warm"],
            "cold_first_ms": large["cold_first_ms"],
            "page_cache_dropped": large["page_cache_dropped"],
        },
        "scale_growth": {
            "value": total_growth,
            "ceiling": None,
            "ratio": total_growth,
            "unit": f"× (sum of p50s at {large['workers']:,} workers ÷ at {small['workers']:,})",
            "goal": f"≤ {GROWTH_GOAL}×",
            "met": total_growth <= GROWTH_GOAL,
            "worst": max(growth.items(), key=lambda kv: kv[1]),
            "per_endpoint": growth,
        },
        "p4": {
            "value": rebuild["facts_per_s"],
            "ceiling": None,
            "ratio": None,
            "unit": f"facts/s, `rebuild --from-log` of {large['facts']:,} facts in {large['events']:,} events "
            f"({rebuild['seconds']:.0f} s)",
            "goal": f"≥ {REBUILD_GOAL:,}/s",
            "met": rebuild["facts_per_s"] >= REBUILD_GOAL,
            "events_per_s": rebuild["events_per_s"],
        },
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def save(found: dict[str, dict[str, Any]], sizes: list[dict[str, Any]]) -> None:
    """Merged into the summary `make bench` writes: these keys replaced, the others kept."""
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    summary = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    stamp = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    for key, figure in found.items():
        summary[key] = {**figure, **stamp}
    SUMMARY.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    (SUMMARY.parent / "scale.json").write_text(json.dumps(sizes, indent=2, ensure_ascii=False, default=str))


def report(found: dict[str, dict[str, Any]], small: dict[str, Any], large: dict[str, Any]) -> None:
    print(f"\n{'endpoint':<40}{'p50 small':>11}{'p50 large':>11}{'p95 large':>11}{'cold':>9}{'growth':>8}")
    for name, f in large["warm"].items():
        s = small["warm"][name]
        cold = large["cold_first_ms"].get(name)
        print(
            f"{name:<40}{s['p50_ms']:>9.1f}ms{f['p50_ms']:>9.1f}ms{f['p95_ms']:>9.1f}ms"
            f"{'' if cold is None else f'{cold:>7.0f}ms':>9}{f['p50_ms'] / s['p50_ms']:>7.2f}×"
        )
    for key, f in found.items():
        print(f"{key:<20} {f['value']:>12,.1f} {f['unit']} — goal {f['goal']}: {'met' if f['met'] else 'NOT met'}")


@contextmanager
def servers(data: Path | None):
    """PostgreSQL (throwaway, or kept in `data` with the provinces filled there before) and Kafka."""
    if data is None:
        with throwaway_servers("newform-scale-", postgres_settings=SERVER_SETTINGS) as (pg, kafka):
            yield pg, kafka
        return
    pg = EmbeddedPostgres(data.resolve() / "pg", port=free_port(), settings=SERVER_SETTINGS)
    pg.start()
    try:
        with tempfile.TemporaryDirectory(prefix="newform-scale-kafka-") as folder:
            kafka = LocalKafka(Path(folder) / "kafka", port=free_port(), auto_create_topics=True)
            kafka.start()
            try:
                yield pg, kafka
            finally:
                kafka.stop()
    finally:
        pg.stop()


async def main(workers: int, small_workers: int, requests: int, cold: bool, data: Path | None = None) -> None:
    with servers(data) as (pg, kafka):
        small = await one_size(pg, kafka, small_workers, requests, cold) if small_workers else None
        large = await one_size(pg, kafka, workers, requests, cold)
    if small is None:  # one size only (a look at one size while working): no growth, the summary untouched
        (SUMMARY.parent / "scale.json").write_text(json.dumps([large], indent=2, ensure_ascii=False, default=str))
        return
    found = figures(small, large)
    save(found, [small, large])
    report(found, small, large)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1_000_000, help="the province's size (default 1,000,000)")
    parser.add_argument(
        "--small",
        type=int,
        default=100_000,
        help="the size growth is measured from (0: only --workers, not saved in the summary)",
    )
    parser.add_argument("--requests", type=int, default=50, help="requests per endpoint (default 50)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold pass (no PostgreSQL restart)")
    parser.add_argument(
        "--data",
        type=Path,
        help="keep PostgreSQL's data in this folder and reuse the provinces filled there before (default: a "
        "throwaway folder)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.workers, args.small, args.requests, not args.no_cold, args.data))
