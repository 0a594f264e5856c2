"""Union coverage's read model (migration 0007: each registered worker's district, membership and platforms, and
the counts per district and platform) equals a recount over the registrations and memberships — after
registrations are added, move districts, are cancelled and lifted, and memberships start and end, as the
projections write them (upserts of batches)."""

from __future__ import annotations

import asyncpg

from ..kit.gateway import migrated_database

# The coverage definition as the API counted it before the read model (sources/unions/service.py's docstring).
WORKERS = """
    select distinct on (worker_id) worker_id, residence_district as district from worker_registrations
    where active order by worker_id, registered_at desc nulls last, registration_id desc"""
MEMBERS = "select distinct worker_id from unions_memberships where status = 'active' and worker_id is not null"
RECOUNT_DISTRICTS = f"""
    select w.district, count(m.worker_id), count(*) from ({WORKERS}) w
    left join ({MEMBERS}) m using (worker_id) group by 1"""
RECOUNT_PLATFORMS = f"""
    select w.district, r.platform_id, count(distinct m.worker_id), count(distinct r.worker_id)
    from worker_registrations r join ({WORKERS}) w using (worker_id)
    left join ({MEMBERS}) m on m.worker_id = r.worker_id
    where r.active group by 1, 2"""


async def _assert_counts_equal_a_recount(conn: asyncpg.Connection) -> None:
    districts = {(d, "", m, r) for d, m, r in await conn.fetch(RECOUNT_DISTRICTS)}
    platforms = {(d, p, m, r) for d, p, m, r in await conn.fetch(RECOUNT_PLATFORMS)}
    stored = {
        tuple(row)
        for row in await conn.fetch("select district, platform_id, members, registered from union_coverage_counts")
    }
    assert stored == districts | platforms
    workers = {(w, d) for w, d in await conn.fetch(WORKERS)}
    assert {(w, d) for w, d in await conn.fetch("select worker_id, district from union_coverage_workers")} == workers


async def test_coverage_counts_equal_a_recount_after_moves_cancellations_and_memberships(new_database):
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        # 12 workers, 30 registrations over 3 platforms and 3 districts (some naming none), 8 memberships
        await conn.execute("""
            insert into worker_registrations
            select 'r' || i, 'w' || (i % 12), 'p' || (i % 3), 'food_delivery',
                   case when i % 7 = 0 then null else 'd' || (i % 3) end, '630102',
                   timestamptz '2026-01-01' + i * interval '1 day', true
            from generate_series(1, 30) i;
            insert into unions_memberships
              (membership_id, union_id, worker_id, platform_id, district, status, updated_at)
            select 'm' || i, 'u1', 'w' || i, 'p1', 'd1', 'active', now() from generate_series(1, 8) i;
            insert into unions_memberships
              (membership_id, union_id, worker_id, platform_id, district, status, updated_at)
            values ('m-none', 'u1', null, 'p1', 'd1', 'active', now()),
                   ('m-unregistered', 'u1', 'w-elsewhere', 'p2', 'd2', 'active', now());
        """)
        await _assert_counts_equal_a_recount(conn)
        # a newer registration moves w1 to d9; w2's latest is cancelled (back to its earlier district); all of w3's
        # are cancelled (no longer registered); memberships end and one transfers (ends, another starts)
        await conn.execute("""
            insert into worker_registrations values
              ('r-new', 'w1', 'p2', 'food_delivery', 'd9', '630102', timestamptz '2026-06-01', true)
            on conflict (registration_id) do update set active = excluded.active;
            update worker_registrations set active = false where registration_id = 'r26';
            update worker_registrations set active = false where worker_id = 'w3';
            insert into unions_memberships
              (membership_id, union_id, worker_id, platform_id, district, status, updated_at)
            values ('m4', 'u1', 'w4', 'p1', 'd1', 'ended', now()), ('m5', 'u1', 'w5', 'p1', 'd1', 'ended', now()),
                   ('m5b', 'u2', 'w5', 'p2', 'd2', 'active', now())
            on conflict (membership_id) do update set status = excluded.status;
            update unions_memberships set status = 'ended' where membership_id = 'm6';
        """)
        await _assert_counts_equal_a_recount(conn)
        # the cancellations are lifted; a registration changes district; one is deleted; a member joins again
        await conn.execute("""
            update worker_registrations set active = true where worker_id = 'w3' or registration_id = 'r26';
            update worker_registrations set residence_district = 'd7' where registration_id = 'r-new';
            delete from worker_registrations where registration_id = 'r12';
            update unions_memberships set status = 'active' where membership_id = 'm6';
            delete from unions_memberships where membership_id = 'm7';
        """)
        await _assert_counts_equal_a_recount(conn)
        # everything cancelled: no worker is registered, no count row is left
        await conn.execute("update worker_registrations set active = false")
        await _assert_counts_equal_a_recount(conn)
        assert await conn.fetchval("select count(*) from union_coverage_counts") == 0
    finally:
        await conn.close()
