"""Union coverage at province scale (issue 25): the coverage counted over every registration (as the API did
before migration 0007) against the read model 0007's triggers keep, and what keeping it costs a write.

    python -m bench.bench_union_coverage postgresql://…/postgres [workers]

Fills a new database (migrated to heads) set-based: `workers` people, 1.1 registrations each on 40 platforms
across the districts (one in ten moved: a newer registration in another district; one in fifty cancelled), one
in five a union member. Prints the seconds of each figure both ways, the fill's, and a projection-sized batch's.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from newform_common.auth import Principal, Role
from newform_common.migrations import upgrade
from newform_gateway.sources.departments import service as departments
from newform_gateway.sources.unions import service as unions

WORKERS = """select distinct on (worker_id) worker_id, residence_district as district from worker_registrations
    where active order by worker_id, registered_at desc nulls last, registration_id desc"""
MEMBERS = "select distinct worker_id from unions_memberships where status = 'active' and worker_id is not null"
BEFORE = {
    "by district": f"""select w.district, count(m.worker_id), count(*) from ({WORKERS}) w
        left join ({MEMBERS}) m using (worker_id) group by 1""",
    "by platform": f"""select r.platform_id, count(distinct m.worker_id), count(distinct r.worker_id)
        from worker_registrations r left join ({MEMBERS}) m on m.worker_id = r.worker_id
        where r.active group by 1""",
    "one platform": f"""select r.platform_id, count(distinct m.worker_id), count(distinct r.worker_id)
        from worker_registrations r left join ({MEMBERS}) m on m.worker_id = r.worker_id
        where r.active and r.platform_id = 'p_7' group by 1""",
}
AFTER = {
    "by district": "select district, members, registered from union_coverage_counts where platform_id = ''",
    "by platform": "select platform_id, sum(members), sum(registered) from union_coverage_counts "
    "where platform_id <> '' group by 1",
    "one platform": "select platform_id, sum(members), sum(registered) from union_coverage_counts "
    "where platform_id = 'p_7' group by 1",
}
DISTRICTS = "array['630102','630103','630104','630105','630121','630122','630123']"
FILL = f"""
    insert into worker_registrations
    select 'r_' || i, 'w_' || i, 'p_' || (i % 40), 'food_delivery', ({DISTRICTS})[1 + i % 7], '630102',
           timestamptz '2026-01-01' + (i % 300) * interval '1 day', i % 50 <> 0
    from generate_series(1, $1) i
    union all
    select 'r2_' || i, 'w_' || i, 'p_' || ((i + 3) % 40), 'ride_hailing', ({DISTRICTS})[1 + (i + 2) % 7], '630102',
           timestamptz '2026-11-01', true
    from generate_series(10, $1, 10) i"""
MEMBERSHIPS = """
    insert into unions_memberships (membership_id, union_id, worker_id, platform_id, district, status, updated_at)
    select 'm_' || i, 'u_' || (i % 7), 'w_' || i, 'p_' || (i % 40), null, 'active', now()
    from generate_series(5, $1, 5) i"""
BATCH = """
    insert into worker_registrations
    select 'rb_' || $1::int || '_' || i, 'w_' || (i * 7 + $1::int), 'p_' || (i % 40), 'food_delivery', '630103',
           '630102', now(), true
    from generate_series(1, 5000) i
    on conflict (registration_id) do update set active = excluded.active"""


async def timed(conn: asyncpg.Connection, sql: str, *args: object, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        await conn.fetch(sql, *args)
        best = min(best, time.perf_counter() - started)
    return best


async def served(url: str) -> None:
    """What the endpoints and pages compute (in the gateway's code, through its ORM session), in ms."""
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    regulator = Principal(subject="bench", role=Role.regulator)
    calls = {
        "GET /v1/unions/coverage?by=district": lambda s: unions.coverage(s, unions.CoverageScope(), "district"),
        "GET /v1/unions/coverage?by=platform": lambda s: unions.coverage(s, unions.CoverageScope(), "platform"),
        "a district government's by=platform": lambda s: unions.coverage(
            s, unions.CoverageScope(district="630103"), "platform"
        ),
        "a platform's figure (scorecard)": lambda s: unions.coverage(
            s, unions.CoverageScope(platform_id="p_7"), "platform"
        ),
        "GET /v1/rest-stations/coverage": lambda s: departments.rest_station_coverage(s, regulator),
    }
    try:
        async with AsyncSession(engine) as session:
            for name, call in calls.items():
                best = float("inf")
                for _ in range(3):
                    started = time.perf_counter()
                    await call(session)
                    best = min(best, time.perf_counter() - started)
                print(f"{name}: {best * 1000:.1f} ms")
    finally:
        await engine.dispose()


async def main(server: str, workers: int) -> None:
    name = f"bench_union_coverage_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'create database "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        await asyncio.to_thread(upgrade, "newform_gateway", url.replace("postgresql://", "postgresql+asyncpg://"))
        conn = await asyncpg.connect(url)
        try:
            started = time.perf_counter()
            await conn.execute(MEMBERSHIPS, workers)
            await conn.execute(FILL, workers)
            print(f"fill ({workers} workers, triggers keeping coverage): {time.perf_counter() - started:.1f} s")
            await conn.execute("analyze")
            n = await conn.fetchval("select count(*) from worker_registrations")
            print(f"registrations: {n}")
            for figure in BEFORE:
                before, after = await timed(conn, BEFORE[figure]), await timed(conn, AFTER[figure])
                same = sorted(map(tuple, await conn.fetch(BEFORE[figure]))) == sorted(
                    map(tuple, await conn.fetch(AFTER[figure]))
                )
                print(f"{figure}: recount {before * 1000:.0f} ms, read model {after * 1000:.1f} ms, equal {same}")
            await served(url)
            batch = await timed(conn, BATCH, 1, runs=1)
            ours = ("ins", "upd", "del")
            for suffix in ours:
                await conn.execute(f"alter table worker_registrations disable trigger union_coverage_{suffix}")
            without = await timed(conn, BATCH, 2, runs=1)
            for suffix in ours:
                await conn.execute(f"alter table worker_registrations enable trigger union_coverage_{suffix}")
            print(f"a batch of 5,000 registrations: {batch * 1000:.0f} ms, {without * 1000:.0f} ms without 0007's")
        finally:
            await conn.close()
    finally:
        await admin.execute(f'drop database "{name}" with (force)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000))
