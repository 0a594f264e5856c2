"""The alert counters of migration 0005 (a department's alerts by measure and status, open alerts by department
and by platform, M8 findings per bad-weather warning) equal a count over the alerts after inserts, upserts that
resolve alerts or add findings, and deletes — as the alert path writes them."""

from __future__ import annotations

import asyncpg

from ..kit.gateway import migrated_database

RECOUNT = {
    "alerts_by_measure": "select 'department:' || d, measure, count(*) from alerts, "
    "jsonb_array_elements_text(departments) d group by 1, 2",
    "alerts_by_status": "select 'department:' || d, status, count(*) from alerts, "
    "jsonb_array_elements_text(departments) d group by 1, 2",
    "open_alerts_by_department": "select '', d, count(*) from alerts, jsonb_array_elements_text(departments) d "
    "where status <> 'resolved' group by 1, 2",
    "open_alerts": "select platform_id, '', count(*) from alerts "
    "where status <> 'resolved' and platform_id is not null group by 1",
    # the weather page's query before the counters (one count per finding naming the warning)
    "m8_findings": """
        select 'warning:' || ids.warning_id, a.rule, count(*) from alerts a
        cross join lateral jsonb_array_elements(a.evidence) e
        cross join lateral (
            select e->'evidence'->>'warning_id' as warning_id
            union
            select x->>'warning_id' from jsonb_array_elements(
                case when jsonb_typeof(e->'evidence'->'warnings') = 'array' then e->'evidence'->'warnings'
                     else '[]'::jsonb end) x
        ) ids
        where a.measure = 'M8' and ids.warning_id is not null group by 1, 2""",
}

INSERT = """
insert into alerts (alert_id, source_service, measure, rule, severity, summary, subject_type, subject_id, platform_id,
                    district, departments, status, occurrences, evidence, first_observed_at, last_observed_at,
                    raised_at, due_at)
select 'a' || i, 'wages', m, m || (case when i % 2 = 0 then '.late_penalty' else '.work_in_red' end), 'high', 's',
       'x', 's' || i, case when i % 5 = 0 then null else 'p' || (i % 3) end, 'chengxi',
       jsonb_build_array((array['hrss', 'emergency', 'transport'])[1 + i % 3], 'county:chengxi'),
       case when i % 4 = 0 then 'resolved' else 'open' end, 1,
       case when m = 'M8' and i % 2 = 0
            then jsonb_build_array(jsonb_build_object('evidence',
                   jsonb_build_object('warnings', jsonb_build_array(jsonb_build_object('warning_id', 'ww' || (i % 3)),
                                                                    jsonb_build_object('warning_id', 'ww9')))))
            when m = 'M8' then jsonb_build_array(jsonb_build_object('evidence',
                   jsonb_build_object('warning_id', 'ww' || (i % 3))))
            else '[]'::jsonb end,
       now(), now(), now(), now() + interval '30 days'
from generate_series(1, 40) i, lateral (select case when i % 3 = 0 then 'M6' else 'M8' end as m) x
"""


async def test_alert_counters_equal_a_recount(new_database):
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(INSERT)
        # as the alert path writes: an upsert adding a finding, one resolving, deletes
        await conn.execute("""
            insert into alerts select * from alerts where alert_id in ('a2', 'a3', 'a8')
            on conflict (alert_id) do update set
              evidence = alerts.evidence || alerts.evidence,
              status = case when alerts.alert_id = 'a3' then 'resolved' else alerts.status end;
            update alerts set status = 'acknowledged' where alert_id in ('a1', 'a5');
            delete from alerts where alert_id in ('a6', 'a7');
        """)
        assert await conn.fetchval("select count(*) from alerts where measure = 'M8'") > 5
        for dimension, sql in RECOUNT.items():
            expected = {(scope, key): n for scope, key, n in await conn.fetch(sql)}
            stored = {
                (scope, key): n
                for scope, key, n in await conn.fetch(
                    "select scope, key, n from read_counters where dimension = $1 and n <> 0 "
                    "and (scope like 'department:%' or scope like 'warning:%' or $1 <> 'alerts_by_measure' "
                    "and $1 <> 'alerts_by_status')",
                    dimension,
                )
            }
            assert expected and stored == expected, dimension
    finally:
        await conn.close()
