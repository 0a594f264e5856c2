"""Growth: the regulator's queries at 10,000 and at 1,000,000 events of history.

The gateway's read models are filled with the rows a catalogue history of N events leaves (per
worker: registered, contract drafted and signed, a finding — and its alert routed to departments —
for one worker in five; 20 platforms, 7 districts; alerts older than 20 days resolved — departments
work their backlog, so open alerts do not grow with the history) by set-based SQL, the triggers keeping the
pre-aggregated counters as the projections would. Then the regulator's queries, called as the API
calls them, each timed as the median of repeated runs: the overview, the alert list (regulator and
a department), the platform list with scorecards, one platform's detail, a worker's timeline.
Prints each query's time at both sizes and ratio = total at the large size ÷ total at the small.
Usage: python bench/bench_growth.py [--small 10000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newform_common.auth import Principal, Role  # noqa: E402
from newform_common.db import Database  # noqa: E402
from newform_common.migrations import upgrade  # noqa: E402
from newform_common.pagination import PageParams  # noqa: E402
from newform_gateway.alerts import service as alerts  # noqa: E402
from newform_gateway.overview import service as overview  # noqa: E402
from newform_gateway.platforms import service as platforms  # noqa: E402
from newform_local.throwaway import throwaway_postgres  # noqa: E402

EVENTS_PER_WORKER = 3.2  # registered, drafted, signed, and a finding for one worker in five
DISTRICTS = "array['chengxi','chengdong','chengzhong','chengbei','datong','huangzhong','huangyuan']"

FILL = f"""
insert into worker_registrations
select 'r_' || i, 'w_' || i, 'p_' || (i % 20), (array['food_delivery','courier','ride_hailing'])[1 + i % 3],
       ({DISTRICTS})[1 + i % 7], '630102', now() - (i % 365) * interval '1 day', i % 50 <> 0
from generate_series(1, $1) i;
insert into contracts
select 'c_' || i, 'w_' || i, 'p_' || (i % 20), 'p_' || (i % 20),
       (array['labor_contract','work_agreement','civil'])[1 + i % 3], false, 'food_delivery',
       ({DISTRICTS})[1 + i % 7], current_date, null, 'month',
       jsonb_build_object('work_injury', i % 4 <> 0, 'occupational_injury', false, 'accident', true),
       case when i % 10 = 0 then 'drafted' else 'signed' end, now() - (i % 365) * interval '1 day',
       now() - (i % 365) * interval '1 day', null
from generate_series(1, $1) i;
insert into event_log (event_id, type, source, service, subject, key, time, data, worker_id, platform_id,
                       topic, partition, "offset")
select 'e_' || i || '_' || k, t, '/newform/contracts', 'contracts', 'w_' || i, 'w_' || i,
       now() - (i % 365) * interval '1 day' + k * interval '1 minute',
       jsonb_build_object('worker_id', 'w_' || i, 'platform_id', 'p_' || (i % 20), 'contract_id', 'c_' || i),
       'w_' || i, 'p_' || (i % 20), 'contracts.events', i % 3, i
from generate_series(1, $1) i,
     unnest(array['contracts.worker.registered.v1','contracts.contract.drafted.v1','contracts.contract.signed.v1'])
       with ordinality as e(t, k);
insert into alerts (alert_id, source_service, measure, rule, severity, summary, subject_type, subject_id,
                    platform_id, enterprise_id, worker_id, occupation, district, departments, status, occurrences,
                    evidence, first_observed_at, last_observed_at, raised_at, due_at, resolution)
select 'alr_' || i, 'contracts', 'M9', 'M9.work_injury_insurance', 'high', '未参加工伤保险', 'contract', 'c_' || i,
       'p_' || (i % 20), 'p_' || (i % 20), 'w_' || i, 'food_delivery', ({DISTRICTS})[1 + i % 7],
       '["hrss"]'::jsonb, case when i % 365 < 20 and i % 3 = 0 then 'open' else 'resolved' end, 1, '[]'::jsonb,
       now() - (i % 365) * interval '1 day', now() - (i % 365) * interval '1 day',
       now() - (i % 365) * interval '1 day', now() - (i % 365) * interval '1 day' + interval '15 days', null
from generate_series(1, $1, 5) i;
insert into alert_routes select 'alr_' || i, d from generate_series(1, $1, 5) i,
       unnest(array['hrss', 'county:' || ({DISTRICTS})[1 + i % 7]]) d;
"""


async def fill(dsn: str, events: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await conn.execute(statement, int(events / EVENTS_PER_WORKER))
        await conn.execute("analyze")
    finally:
        await conn.close()


async def time_queries(url: str, repeats: int = 15) -> dict[str, float]:
    db = Database(url, service="gateway")
    regulator = Principal(subject="bench", role=Role.regulator)
    hrss = Principal(subject="bench", role=Role.department, department="hrss")
    page = PageParams(limit=50, after=None)
    calls = {
        "overview": lambda s: overview.overview(s, regulator),
        "alert list (regulator)": lambda s: alerts.list_alerts(s, regulator, page),
        "alert list (department, open)": lambda s: alerts.list_alerts(s, hrss, page, status="open"),
        "platforms with scorecards": lambda s: platforms.list_platforms(s),
        "platform detail": lambda s: platforms.platform_detail(s, "p_7"),
        "worker timeline": lambda s: overview.worker_timeline(s, "w_77"),
    }
    times = {}
    try:
        for name, call in calls.items():
            samples = []
            for _ in range(repeats):
                async with db.transaction() as session:
                    started = time.perf_counter()
                    await call(session)
                    samples.append(time.perf_counter() - started)
            times[name] = statistics.median(samples)
    finally:
        await db.dispose()
    return times


async def measure(pg, small: int = 10_000, large: int = 1_000_000) -> dict:
    results = {}
    for label, events in (("small", small), ("large", large)):
        name = f"growth_{label}"
        pg.create_database(name)
        url = pg.url(name)
        await asyncio.to_thread(upgrade, "newform_gateway", url)
        await fill(url.replace("postgresql+asyncpg", "postgresql"), events)
        results[label] = await time_queries(url)
    total_small, total_large = sum(results["small"].values()), sum(results["large"].values())
    return {
        "value": total_large / total_small,
        "ceiling": None,
        "ratio": total_large / total_small,
        "unit": f"× (time at {large:,} events ÷ at {small:,})",
        "queries_ms": {
            q: {"small": results["small"][q] * 1000, "large": results["large"][q] * 1000} for q in results["small"]
        },
    }


def report(f: dict) -> None:
    print(f"\ngrowth: {f['unit']}")
    for q, t in f["queries_ms"].items():
        print(f"  {q:<32}{t['small']:>9.2f} ms{t['large']:>10.2f} ms{t['large'] / t['small']:>8.2f}×")
    print(f"  {'total':<32}{'':>12}{'':>13}{f['ratio']:>8.2f}×")


async def main(small: int, large: int) -> None:
    with throwaway_postgres("newform-bench-") as pg:
        report(await measure(pg, small, large))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(main(args.small, args.large))
