"""The plans of the heaviest queries of the regulator's pages, as the services issue them, over enough alerts
(60,000, routed to departments and districts, most of them resolved) that the planner's choice means what it
would at province scale: each reads an index in the page's order or the few rows it counts — never a Seq Scan
of the alerts, never a Sort of them (issue 25; the indexes are migration 0005's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import event

from newform_common.auth import Principal, Role
from newform_common.db import Database
from newform_common.pagination import PageParams
from newform_gateway import calendar_view
from newform_gateway import repository as gateway_repository
from newform_gateway.alerts import repository as alerts_repository
from newform_gateway.alerts import service as alerts_service
from newform_gateway.credit import repository as credit_repository
from newform_gateway.sources.disputes import repository as disputes_repository

from ..kit.gateway import migrated_database

SUBJECT_REFERENCES = gateway_repository.migration_module("0009_event_log_subject_refs").FIELDS

ALERTS = 60_000
FILL = """
insert into alerts (alert_id, source_service, measure, rule, severity, summary, subject_type, subject_id,
                    platform_id, district, departments, status, occurrences, evidence, first_observed_at,
                    last_observed_at, raised_at, due_at)
select 'alr_' || i, 'wages', m, m || '.rule', 'high', '拖欠工资', 'statement', 's_' || i, 'p_' || (i % 40), d,
       jsonb_build_array((array['hrss','market','transport','postal','union','urban'])[1 + i % 6], 'county:' || d),
       case when i % 365 < 30 then 'open' else 'resolved' end, 1, '[]',
       t, t, t, t + interval '30 days'
from generate_series(1, {n}) i,
     lateral (select (array['M1','M3','M5','M6','M7','M8','M9','M10','M14','M17'])[1 + i % 10] as m,
                     (array['chengdong','chengzhong','chengxi','chengbei','huangzhong','datong','huangyuan'])[1 + i % 7]
                       as d,
                     timestamptz '2026-12-01 00:00+08' - (i % 365) * interval '1 day' - (i % 1440) * interval '1 minute'
                       as t) x;
insert into alert_routes (alert_id, department)
select alert_id, d from alerts, jsonb_array_elements_text(departments) d;
insert into credit_records (record_id, alert_id, measure, rule, subject_type, subject_id, platform_id, summary,
                            evidence_chain, confirmed_by, confirmed_at, basis)
select 'cr_' || alert_id, alert_id, measure, rule, subject_type, subject_id, platform_id, summary, '[]', 'officer',
       raised_at + interval '5 days', '{{}}'
from alerts where status = 'resolved' and right(alert_id, 1) in ('1', '5');
analyze;
"""


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


async def plans_of(db: Database, call) -> list[dict[str, Any]]:
    """The EXPLAIN (FORMAT JSON) plan of every statement `call(session)` issues, with its own parameters."""
    statements: list[tuple[str, Any]] = []

    def issued(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("EXPLAIN"):
            statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", issued)
    try:
        async with db.transaction() as session:
            await call(session)
            plans = []
            connection = await session.connection()
            for statement, parameters in list(statements):
                explained = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
                document = explained.scalar()
                plans.append((json.loads(document) if isinstance(document, str) else document)[0]["Plan"])
            return plans
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", issued)


def assert_reads_alerts_by_index(plan: dict[str, Any], *, sorted_by_index: bool = True) -> set[str]:
    """No Seq Scan of alerts; no Sort (the page's order is an index's) unless told; the indexes read."""
    scans = [n for n in nodes(plan) if n.get("Relation Name") == "alerts"]
    assert scans, plan
    assert not [n for n in scans if n["Node Type"] == "Seq Scan"], plan
    if sorted_by_index:
        assert not [n for n in nodes(plan) if n["Node Type"] in ("Sort", "Incremental Sort")], plan
    return {n["Index Name"] for n in nodes(plan) if "Index Name" in n}


async def test_the_heaviest_queries_read_an_index_in_page_order(new_database):
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(FILL.format(n=ALERTS))
    finally:
        await conn.close()
    db = Database(url, service="gateway")
    regulator = Principal(subject="inspector-1", role=Role.regulator)
    datong = Principal(subject="datong-1", role=Role.department, department="county", district="datong")
    hrss = Principal(subject="hrss-1", role=Role.department, department="hrss")
    page = PageParams(limit=50, after=None)
    try:
        # 1. A department's open alerts, newest first (the /alerts page and GET /v1/alerts of every department):
        #    the unresolved alerts in raised order, its routes found through the GIN index, not every alert of
        #    the department joined and sorted.
        [plan] = await plans_of(db, lambda s: alerts_service.list_alerts(s, hrss, page, status="open"))
        assert assert_reads_alerts_by_index(plan) & {"ix_alerts_status_raised", "ix_alerts_raised"}, plan

        # 2. The regulator's list by district and month of raising — the month's alerts, not the table.
        [plan] = await plans_of(
            db, lambda s: alerts_service.list_alerts(s, regulator, page, district="chengxi", month="2026-11")
        )
        used = assert_reads_alerts_by_index(plan)
        assert used & {"ix_alerts_district_raised", "ix_alerts_raised"}, plan

        # ... and a district government's by measure: a filter that matches few reads that filter's index.
        [plan] = await plans_of(db, lambda s: alerts_service.list_alerts(s, datong, page, measure="M9"))
        assert assert_reads_alerts_by_index(plan), plan

        # 3. The overview's overdue count for a department: the unresolved alerts past due (a partial index)
        #    and the department's (GIN), never the resolved history.
        [plan] = await plans_of(
            db, lambda s: alerts_repository.overdue_count(s, datong, datetime(2026, 12, 1, tzinfo=UTC))
        )
        assert assert_reads_alerts_by_index(plan, sorted_by_index=False) & {
            "ix_alerts_unresolved_due",
            "ix_alerts_departments",
        }, plan

        # The credit records a page at a time in (confirmed_at, record_id) order, by platform too.
        for platform_id in (None, "p_7"):
            [plan] = await plans_of(
                db, lambda s, platform_id=platform_id: credit_repository.records_page(s, page, platform_id=platform_id)
            )
            assert not [n for n in nodes(plan) if n["Node Type"] in ("Seq Scan", "Sort")], plan
            assert {n.get("Index Name") for n in nodes(plan)} & {
                "ix_credit_records_page",
                "ix_credit_records_page_platform",
            }, plan

        # The escalated complaints' alerts (GET /v1/disputes/escalations): their partial index, never every
        # alert walked newest first to find the few escalated (none among these).
        for who in (regulator, hrss):
            visible = alerts_repository.visible(who)
            [plan] = await plans_of(
                db, lambda s, visible=visible: disputes_repository.escalated_alerts(s, visible, page)
            )
            assert "ix_alerts_escalated_raised" in assert_reads_alerts_by_index(plan), plan
    finally:
        await db.dispose()


LOG_FILL = """
insert into event_log (event_id, type, source, service, subject, key, time, data, worker_id, platform_id)
select 'e_' || i, case when i % 20000 = 0 then 'wages.deadline.recomputed.v1' else 'wages.sessions.accepted.v1' end,
       '/newform/wages', 'wages', 'p_' || (i % 40), 'p_' || (i % 40), now() - (i % 300) * interval '1 day',
       jsonb_build_object('platform_id', 'p_' || (i % 40), 'schedule_year', 2027, 'deadline_id', 'dl_' || i,
                          'kind', 'pay_due', 'subject_id', 's_' || i, 'previous_due_at', now(), 'due_at', now(),
                          'was_provisional', true, 'provisional', false),
       null, 'p_' || (i % 40)
from generate_series(1, {n}) i;
analyze event_log;
"""


async def test_the_recomputed_clocks_are_found_by_their_index_not_by_reading_every_month(new_database):
    """`/v1/calendar/recomputed` over 200,000 logged events in ten monthly partitions, ten of them recomputed
    clocks: each month's partial index (0008), no month read row by row."""
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(LOG_FILL.format(n=200_000))
        filled = {r[0] for r in await conn.fetch("select distinct tableoid::regclass::text from event_log")}
        partial = {
            r[0]
            for r in await conn.fetch("select indexname from pg_indexes where indexdef like '%deadline.recomputed%'")
        }
    finally:
        await conn.close()
    db = Database(url, service="gateway")
    try:
        for year in (None, 2027):
            [plan] = await plans_of(db, lambda s, year=year: calendar_view.recomputed(s, year, 100))
            log_scans = [n for n in nodes(plan) if str(n.get("Relation Name", "")).startswith("event_log")]
            assert len(filled) >= 10 and {n["Relation Name"] for n in log_scans} >= filled, plan  # every month
            # (an empty month — the ones ahead, the default — may be "scanned": it has no rows to read)
            assert not {n["Relation Name"] for n in log_scans if n["Node Type"] == "Seq Scan"} & filled, plan
            # each month with rows through its part of the partial index, not its primary key read backwards
            assert {n.get("Index Name") for n in log_scans if n["Relation Name"] in filled} <= partial, plan
        async with db.transaction() as session:
            found = await gateway_repository.events_of_type_suffix(
                session, calendar_view.RECOMPUTED_SUFFIX, schedule_year=None, limit=100
            )
            assert len(found) == 10 and all(e.type == "wages.deadline.recomputed.v1" for e in found)
    finally:
        await db.dispose()


REFERENCES_FILL = """
insert into event_log (event_id, type, source, service, subject, key, time, data, worker_id, platform_id)
select 'e_' || i, case when i % 1000 = 0 then 'contracts.contract.drafted.v1' else 'wages.sessions.accepted.v1' end,
       '/newform/x', 'x', 'p_' || (i % 40), 'p_' || (i % 40), now() - (i % 300) * interval '1 day',
       case when i % 1000 = 0 then jsonb_build_object('contract_id', 'c_' || (i % 3000), 'worker_id', 'w_' || i)
            else jsonb_build_object('platform_id', 'p_' || (i % 40), 'lines', jsonb_build_array(i, i + 1)) end,
       null, 'p_' || (i % 40)
from generate_series(1, {n}) i;
analyze event_log;
"""


async def test_a_credit_records_source_events_are_found_by_their_reference_index(new_database):
    """A confirming decision lists the events naming its subject (credit/repository.source_events): through
    migration 0009's index of the reference field, month by month, never by reading every event of the log."""
    url = await migrated_database(new_database)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(REFERENCES_FILL.format(n=200_000))
        filled = {r[0] for r in await conn.fetch("select distinct tableoid::regclass::text from event_log")}
        indexes = {
            field: {
                r[0]
                for r in await conn.fetch("select indexname from pg_indexes where indexdef like $1", f"%? '{field}'%")
            }
            for field in SUBJECT_REFERENCES
        }
    finally:
        await conn.close()
    db = Database(url, service="gateway")
    try:
        for field in SUBJECT_REFERENCES:
            [plan] = await plans_of(db, lambda s, field=field: credit_repository.source_events(s, field, "c_1000"))
            scans = [n for n in nodes(plan) if n.get("Relation Name") in filled]
            assert len(filled) >= 10 and {n["Relation Name"] for n in scans} >= filled, plan  # every month
            # each month through its part of the field's partial index, none read whole
            assert {n.get("Index Name") for n in scans} <= indexes[field] and len(indexes[field]) > len(filled), plan
        async with db.transaction() as session:
            found = await credit_repository.source_events(session, "contract_id", "c_1000")
        # c_1000 is named by events 1000, 4000, 7000, … 199000: 67 of them, the older first
        assert [type_ for _, type_, _ in found] == ["contracts.contract.drafted.v1"] * 67
        assert [time for *_, time in found] == sorted(time for *_, time in found)
    finally:
        await db.dispose()
