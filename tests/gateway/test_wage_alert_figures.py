"""Wages' figures from the alerts (migration gw_wages_0003: arrears by district × occupation and by month, working
time over the limits) read from the counters equal the aggregates over the alerts they replace — after inserts,
an upsert adding a finding with a new amount, a resolution, a move to another district and deletes, as the alert
path writes them."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from newform_gateway.sources.wages import repository

from ..kit.gateway import migrated_database

AMOUNT = "coalesce((a.evidence -> -1 -> 'evidence' ->> 'arrears_fen')::bigint, 0)"
#: the queries the pages ran before the counters (each alert of wages, whatever its status)
BY_GROUP = f"""
select a.district, a.occupation, count(*) as cases, coalesce(sum({AMOUNT}), 0)::bigint as amount_fen,
       count(distinct a.worker_id) as workers
from alerts a where a.rule = 'M6.wage_arrears' and a.source_service = 'wages'
group by 1, 2 order by 4 desc, 1, 2"""
BY_MONTH = f"""
select to_char(a.first_observed_at at time zone 'Asia/Shanghai', 'YYYY-MM') as month, count(*) as cases,
       coalesce(sum({AMOUNT}), 0)::bigint as amount_fen
from alerts a where a.rule = 'M6.wage_arrears' and a.source_service = 'wages' group by 1 order by 1"""
BREACHES = "select rule, count(*) from alerts where source_service = 'wages' and measure = 'M7' group by 1"
OVER_LIMITS = """select count(distinct worker_id) from alerts where source_service = 'wages' and measure = 'M7'
and rule in ('M7.daily_hours', 'M7.monthly_overtime', 'M7.part_time_hours')"""

# 60 alerts: arrears (two in three), M7 rules; workers repeat across alerts; district or occupation unknown for
# some; first findings across four months (one on a month's last evening in Shanghai, UTC's same day)
INSERT = """
insert into alerts (alert_id, source_service, measure, rule, severity, summary, subject_type, subject_id, platform_id,
                    worker_id, district, occupation, departments, status, occurrences, evidence, first_observed_at,
                    last_observed_at, raised_at, due_at)
select 'a' || i, case when i % 11 = 0 then 'contracts' else 'wages' end, split_part(r, '.', 1), r, 'high', 's',
       'statement', 's' || i, 'p' || (i % 3), case when i % 13 = 0 then null else 'w' || (i % 17) end,
       case when i % 7 = 0 then null else (array['chengdong', 'chengxi'])[1 + i % 2] end,
       case when i % 9 = 0 then null else (array['courier', 'rider'])[1 + i % 2] end,
       '["hrss"]'::jsonb, 'open', 1,
       jsonb_build_array(jsonb_build_object('evidence', jsonb_build_object('arrears_fen', 1000 * i))),
       timestamptz '2026-09-30 17:00+00' + (i % 4) * interval '31 days', now(), now(), now() + interval '30 days'
from generate_series(1, 60) i,
     lateral (select case when i % 3 < 2 then 'M6.wage_arrears'
                          else (array['M7.daily_hours', 'M7.monthly_overtime', 'M7.rest_break'])[1 + i % 4 % 3]
                     end as r) x
"""
CHANGES = """
insert into alerts select * from alerts where alert_id in ('a1', 'a4', 'a5', 'a6')
on conflict (alert_id) do update set
  evidence = alerts.evidence || jsonb_build_array(jsonb_build_object('evidence', jsonb_build_object('arrears_fen', 7))),
  status = case when alerts.alert_id = 'a4' then 'resolved' else alerts.status end;
update alerts set district = 'chengzhong', worker_id = 'w_moved' where alert_id in ('a2', 'a3');
delete from alerts where alert_id in ('a7', 'a8', 'a10');
"""


async def figures(url: str) -> tuple:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            return (
                await repository.arrears_by_group(session),
                await repository.arrears_by_month(session),
                await repository.working_time_breaches(session),
                await repository.workers_over_limits(session),
            )
    finally:
        await engine.dispose()


async def recount(conn: asyncpg.Connection) -> tuple:
    return (
        [dict(r) for r in await conn.fetch(BY_GROUP)],
        [dict(r) for r in await conn.fetch(BY_MONTH)],
        {rule: n for rule, n in await conn.fetch(BREACHES)},
        await conn.fetchval(OVER_LIMITS),
    )


async def test_wage_figures_from_the_counters_equal_the_aggregates_over_the_alerts(new_database):
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(INSERT)
        first = await recount(conn)
        assert len(first[0]) >= 6 and any(g["district"] is None for g in first[0]) and len(first[1]) == 4
        assert first[3] > 0 and await figures(url) == first
        await conn.execute(CHANGES)
        changed = await recount(conn)
        assert changed != first and await figures(url) == changed
        await conn.execute("delete from alerts")
        assert await figures(url) == ([], [], {}, 0)
    finally:
        await conn.close()
