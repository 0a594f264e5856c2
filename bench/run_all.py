"""`make bench`: every benchmark in one run on one pair of throwaway servers, then one table
(path, figure, ceiling, ratio, goal, met?) and the same as JSON in `.data/bench/summary.json`
(keys p1, p2, p3, p3_full_stack, p4_topics (the rebuild from the topics), write, relay, consume,
projection, growth; each value, ceiling, ratio, unit; the keys `make bench-scale` writes there are kept).
A figure that is not measured says why (`not_measured`) and never carries a number."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    bench_contracts_api,
    bench_event_path,
    bench_freshness,
    bench_gateway_projection,
    bench_growth,
    bench_rebuild,
    bench_wages_intake,
)
from newform_local.throwaway import throwaway_servers  # noqa: E402

# path, goal text, test of the figure
GOALS = {
    "p1": (
        "P1 bulk intake, lines/s HTTP → read model",
        "≥ 20,000/s and ≥ 0.25 of raw COPY",
        lambda f: f["value"] >= 20000 and f["ratio"] >= 0.25,
    ),
    "p2": (
        "P2 freshness commit → gateway, at 500 writes/s",
        "p50 ≤ 20 ms, p99 ≤ 100 ms",
        lambda f: f["p50_ms"] <= 20 and f["p99_ms"] <= 100,
    ),
    "p3": (
        "P3 POST /v1/contracts, 8 in flight",
        "≥ 0.3 of minimal app, p99 ≤ 30 ms, CPU ≤ 2 ms",
        lambda f: f["ratio"] >= 0.3 and f["p99_ms"] <= 30 and f["cpu_ms_per_request"] <= 2,
    ),
    # Issue 25: the same creates with every service running and consuming them, against the same ceiling.
    "p3_full_stack": (
        "P3 full stack: POST /v1/contracts, every service consuming, 8 in flight",
        "≥ 0.15 of the ceiling, p99 ≤ 30 ms",
        lambda f: f["ratio"] >= 0.15 and f["p99_ms"] <= 30,
    ),
    # The replay of the topics (`newform gateway rebuild`); `p4` itself is the rebuild from the event log
    # at province scale (`make bench-scale`, bench_scale.py), which this run leaves as it is.
    "p4_topics": (
        "P4 gateway rebuild from the topics, events/s",
        "≥ 50,000/s and ≥ 0.3 of raw read",
        lambda f: f["value"] >= 50000 and f["ratio"] >= 0.3,
    ),
    "write": ("write: fact + outbox, 1 tx each (a session)", "≥ 0.5 of raw asyncpg", lambda f: f["ratio"] >= 0.5),
    # Not one of the keys: the single-write path (POST /v1/contracts), shown beside the session's.
    "write_one_statement": (
        "write: fact + outbox as one statement (autocommit)",
        "≥ 0.5 of raw asyncpg",
        lambda f: f["ratio"] >= 0.5,
    ),
    "relay": ("relay: outbox → Kafka", "≥ 0.8 of raw producer", lambda f: f["ratio"] >= 0.8),
    "consume": ("consume: inbox + batch handler", "≥ 0.5 of raw batched", lambda f: f["ratio"] >= 0.5),
    "projection": (
        "gateway projection, events/s",
        "≥ 20,000/s and ≥ 0.3 of raw",
        lambda f: f["value"] >= 20000 and f["ratio"] >= 0.3,
    ),
    "growth": ("growth: queries at 1,000,000 ÷ 10,000 events", "≤ 2×", lambda f: f["ratio"] <= 2),
}


def not_measured(unit: str, why: str) -> dict:
    return {"value": None, "ceiling": None, "ratio": None, "unit": unit, "not_measured": why}


def fmt(x) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"


def machine() -> str:
    return (
        f"{platform.node()}: {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"load average {os.getloadavg()[0]:.1f} at the end (shared)"
    )


async def run() -> dict:
    figures: dict[str, dict] = {}
    with throwaway_servers("newform-bench-") as (pg, kafka):

        async def run_one(keys, measure) -> None:
            """One benchmark; a failure is reported in its rows (never a number) and the others go on."""
            try:
                result = await measure()
                figures.update(result if keys is None else {keys: result})
            except (Exception, SystemExit) as exc:  # a benchmark that failed must not hide the others
                for key in [keys] if keys else ["write", "write_one_statement", "relay", "consume"]:
                    figures[key] = not_measured(GOALS[key][0], f"not measured: the benchmark failed ({exc})"[:300])

        await run_one(None, lambda: bench_event_path.measure(pg, kafka, 3000))
        await run_one("p3", lambda: bench_contracts_api.measure(pg, kafka, seconds=10, concurrency=8))
        await run_one(
            "p3_full_stack", lambda: bench_contracts_api.measure_full_stack(pg, kafka, seconds=10, concurrency=8)
        )
        await run_one("projection", lambda: bench_gateway_projection.measure(pg, kafka, 8000))
        await run_one("p4_topics", lambda: bench_rebuild.measure(pg, kafka, 20000))
        await run_one("p2", lambda: bench_freshness.measure(pg, kafka, rate=500, seconds=10))
        await run_one("growth", lambda: bench_growth.measure(pg))
        await run_one("p1", lambda: bench_wages_intake.measure(pg, kafka, contracts=2000, months=5, batches=5))
        if not figures["p1"].get("not_measured"):
            bench_wages_intake.report(figures["p1"])
    return figures


def main() -> None:
    figures = asyncio.run(run())
    summary = {key: figures[key] for key in GOALS}
    for key, f in summary.items():
        f["path"], f["goal"] = GOALS[key][0], GOALS[key][1]
        f["met"] = None if f.get("not_measured") else bool(GOALS[key][2](f))
    summary["_run"] = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    out = ROOT / ".data" / "bench" / "summary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    # `make bench-scale` writes its keys (scale_pages_p95_ms, scale_growth, p4) into the same file: kept
    kept = {k: v for k, v in json.loads(out.read_text()).items() if k not in summary} if out.exists() else {}
    out.write_text(json.dumps({**kept, **summary}, indent=2, ensure_ascii=False) + "\n")
    print("\n| path | figure | ceiling | ratio | goal | met? |\n|---|---|---|---|---|---|")
    for key in GOALS:
        f = summary[key]
        if f.get("not_measured"):
            print(f"| {f['path']} | {f['not_measured']} | — | — | {f['goal']} | — |")
            continue
        figure = f"{fmt(f['value'])} {f['unit']}"
        if "p99_ms" in f:
            figure += f" (p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms)"
        if "cpu_ms_per_request" in f:
            figure += f", {f['cpu_ms_per_request']:.2f} ms CPU/request"
        if "cpu_ms_per_request_by_service" in f:
            figure += " (" + ", ".join(f"{n} {ms:.2f}" for n, ms in f["cpu_ms_per_request_by_service"].items()) + ")"
        print(
            f"| {f['path']} | {figure} | {fmt(f['ceiling'])} | {fmt(f['ratio'])} | {f['goal']} | "
            f"{'yes' if f['met'] else 'no'} |"
        )
    print(f"\n{summary['_run']['machine']}; written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
