"""The pre-aggregated read models (read_counters, kept by triggers) equal a count over the rows they
summarise, after inserts, upserts that change what is counted, and deletes."""

from __future__ import annotations

import asyncpg

from ..kit.gateway import migrated_database

RECOUNT = {
    ("", "registrations_active"): "select '', count(*) from worker_registrations where active",
    ("", "registrations_by_district"): "select residence_district, count(*) from worker_registrations where active "
    "group by 1",
    ("p1", "registrations_by_occupation"): "select occupation, count(*) from worker_registrations "
    "where active and platform_id = 'p1' group by 1",
    ("", "contracts_by_status"): "select status, count(*) from contracts group by 1",
    ("p1", "contracts_by_engagement_type"): "select engagement_type, count(*) from contracts "
    "where platform_id = 'p1' group by 1",
    ("p1", "contracts_signed_insured"): "select '', count(*) from contracts where platform_id = 'p1' and "
    "status = 'signed' and (insurance->>'work_injury')::boolean",
    ("p1", "workers_with_signed_contract"): (
        "select '', count(distinct c.worker_id) from contracts c where c.platform_id = 'p1' and c.status = 'signed' "
        "and c.worker_id in (select worker_id from worker_registrations where platform_id = 'p1' and active)"
    ),
    ("", "services"): "select service, count(*) from event_log group by 1",
}


async def test_counters_equal_a_recount_after_inserts_upserts_and_deletes(new_database):
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("""
            insert into worker_registrations
            select 'r' || i, 'w' || (i % 7), 'p' || (i % 2), 'food_delivery', 'chengxi', '630102', now(), true
            from generate_series(1, 40) i;
            insert into contracts (contract_id, worker_id, platform_id, engagement_type, insurance, status)
            select 'c' || i, 'w' || (i % 9), 'p' || (i % 2), 'labor_contract',
                   jsonb_build_object('work_injury', i % 3 = 0), 'drafted'
            from generate_series(1, 30) i;
            insert into event_log (event_id, type, source, service, key, time, data)
            select 'e' || i, 'contracts.worker.registered.v1', '/s', 'contracts', 'k', now(), '{}'
            from generate_series(1, 5) i;
        """)
        # Upserts that change what is counted (signing, cancelling), as the projections write them.
        await conn.execute("""
            insert into contracts (contract_id, worker_id, platform_id, engagement_type, insurance, status)
            select 'c' || i, 'w' || (i % 9), 'p' || (i % 2), 'labor_contract', '{}', 'signed'
            from generate_series(1, 30, 2) i
            on conflict (contract_id) do update set status = excluded.status;
            update contracts set insurance = '{"work_injury": true}' where contract_id in ('c3', 'c9');
            update worker_registrations set active = false where worker_id in ('w1', 'w3');
            delete from contracts where contract_id = 'c5';
            delete from worker_registrations where registration_id = 'r2';
        """)
        for (scope, dimension), sql in RECOUNT.items():
            expected = {str(k): n for k, n in await conn.fetch(sql) if k is not None and n}
            stored = {
                k: n
                for k, n in await conn.fetch(
                    "select key, n from read_counters where scope = $1 and dimension = $2 and n <> 0", scope, dimension
                )
            }
            assert stored == expected, (scope, dimension)
    finally:
        await conn.close()
