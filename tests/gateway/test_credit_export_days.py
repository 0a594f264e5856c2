"""The export of a day reads the entries that can have a line that day, not the whole history: each day's
file, exported alone, equals that day's file of one export from the first day of the history — for records
decided that day, released that day (held until their subject was known), ended that day (repair) or
decided long before."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from newform_common.db import Database
from newform_gateway.credit import export as credit_export

from ..kit.gateway import migrated_database

FIRST = date(2026, 11, 1)
DAYS = 12
# 36 records over the 12 days (Asia/Shanghai evenings, the day before in UTC for some); one in three held
# and released 0-4 days later; one in five ended (repaired) 1-6 days after the decision
FILL = f"""
insert into credit_records (record_id, alert_id, measure, rule, subject_type, subject_id, platform_id, summary,
                            evidence_chain, confirmed_by, confirmed_at, subject_credit_code, subject_name,
                            subject_known_at, basis)
select 'cr_' || i, 'alr_' || i, 'M3', 'M3.dispatch_licence_invalid', 'contract', 'c_' || i, 'p_1', '派遣无许可',
       '[]', 'officer', t, '91630100MA7' || lpad(i::text, 7, '0'), '企业' || i,
       case when i % 3 = 0 then t + (i % 5) * interval '1 day' else t end, '{{}}'
from generate_series(1, 36) i,
     lateral (select timestamptz '{FIRST.isoformat()} 23:30+08' + (i % {DAYS}) * interval '1 day'
                     - (i % 2) * interval '20 hours' as t) x;
insert into alert_transitions (event_id, alert_id, action, from_status, to_status, outcome, actor, actor_role,
                               actor_department, at)
select 'ev_' || record_id, alert_id, 'resolved', 'open', 'resolved', 'penalized', 'officer', 'department', 'hrss',
       confirmed_at
from credit_records;
insert into credit_listing_ends (record_id, kind, ended_on, reason, actor, actor_department, event_id, at)
select record_id, 'repair', (confirmed_at at time zone 'Asia/Shanghai')::date + 1 + (i % 6), '已修复', 'officer',
       'hrss', 'end_' || record_id, confirmed_at + (1 + i % 6) * interval '1 day'
from (select *, substr(record_id, 4)::int as i from credit_records) r where i % 5 = 0;
"""


async def test_each_days_file_alone_equals_that_day_in_an_export_of_the_whole_history(new_database):
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(FILL)
    finally:
        await conn.close()
    key = Ed25519PrivateKey.generate()
    db = Database(url, service="gateway")
    try:
        async with db.transaction() as session:
            last = FIRST + timedelta(days=DAYS + 8)
            whole = await credit_export.build_export(session, FIRST - timedelta(days=1), last, key)
            by_day = {f.day: f.content for f in whole.files}
            assert sum(len(f.lines) for f in whole.files) > 36  # entries and repairs
            for day in sorted(by_day):
                alone = await credit_export.build_export(session, day, day, key)
                assert [f.content for f in alone.files] == [by_day[day]], day
    finally:
        await db.dispose()
