"""A premium day in a year whose State Council schedule is not loaded (calendar.day(d).provisional): the
statement is stored and judged on everything else, the premium question stays pending on the statement
(never a 5xx, never a silent "working day"), and `statements.service.rejudge_pending_premiums` judges it once the
schedule is loaded (the lead's schedule-loaded hook calls it). A statutory holiday needs no schedule."""

from __future__ import annotations

from datetime import date

from newform_common import calendar
from newform_common.db import Database
from newform_common.testing import fetch
from newform_wages.statements.service import rejudge_pending_premiums

from ..kit.wages import new_platform, new_worker, statement
from .test_api import engagement_known, rules_of

SPRING_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知（测试用）",
    "rest_days": [
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-05-03",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
        "2027-10-04",
        "2027-10-05",
        "2027-10-06",
        "2027-10-07",
    ],
    "working_days": ["2027-02-13", "2027-02-20"],
}


async def test_a_premium_day_of_a_year_without_a_schedule_is_pending_then_judged_when_it_is_loaded(api, feed):
    saved = calendar.installed()
    calendar.reset({y: s for y, s in saved.items() if y != 2027})
    try:
        pid, worker = new_platform(), new_worker()
        contract = await feed.signed(worker_id=worker, platform_id=pid, start=date(2027, 1, 1))
        await engagement_known(api, contract)
        # 20 yuan an hour; 8 h on Tuesday 2027-02-09 (Spring Festival week) paid as working-day overtime
        r = await api.client.post(
            "/v1/statements",
            headers=api.as_platform(pid),
            json=statement(
                "2027-02",
                contract,
                worker,
                period_start="2027-02-01",
                period_end="2027-02-28",
                due_date="2027-03-10",
                base_fen=320_000,
                gross_fen=320_000 + 24_000,
                overtime_fen=24_000,
                normal_hours=160,
                premium_days=[{"date": "2027-02-09", "hours": 8}],
                paid_fen=0,
                paid_on=None,
            ),
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "judged" and r.json()["pending_schedule"] == ["2027-02-09"]
        statement_id = r.json()["statement_id"]
        assert "M6.overtime_premium" not in await rules_of(api, statement_id)
        shown = await api.client.get(f"/v1/statements/{statement_id}", headers=api.as_platform(pid))
        assert shown.json()["pending_schedule"] == ["2027-02-09"]

        db = Database(api.url, service="wages")
        try:
            async with db.transaction() as session:  # the schedule is still missing: nothing to judge
                assert await rejudge_pending_premiums(session, 2027) == 0
            calendar.install([calendar.parse_schedule(SPRING_2027)])
            async with db.transaction() as session:
                assert await rejudge_pending_premiums(session, 2027) >= 1
            async with db.transaction() as session:  # once only
                assert await rejudge_pending_premiums(session, 2027) == 0
        finally:
            await db.dispose()
        found = await fetch(
            api.url,
            "select evidence from findings where subject_id = :s and rule = 'M6.overtime_premium'",
            s=statement_id,
        )
        assert len(found) == 1 and found[0]["evidence"]["required_by_kind_fen"] == {"rest_day": 32_000}
        shown = await api.client.get(f"/v1/statements/{statement_id}", headers=api.as_platform(pid))
        assert shown.json()["pending_schedule"] == []
    finally:
        calendar.reset(saved)


async def test_a_statutory_holiday_needs_no_schedule(api, feed):
    saved = calendar.installed()
    calendar.reset({y: s for y, s in saved.items() if y != 2027})
    try:
        pid, worker = new_platform(), new_worker()
        contract = await feed.signed(worker_id=worker, platform_id=pid, start=date(2027, 1, 1))
        await engagement_known(api, contract)
        r = await api.client.post(
            "/v1/statements",
            headers=api.as_platform(pid),
            json=statement(
                "2027-02",
                contract,
                worker,
                period_start="2027-02-01",
                period_end="2027-02-28",
                due_date="2027-03-10",
                base_fen=320_000,
                gross_fen=320_000 + 16_000,
                holiday_fen=16_000,
                normal_hours=160,
                premium_days=[{"date": "2027-02-06", "hours": 8}],
                paid_fen=0,
                paid_on=None,
            ),
        )
        assert r.status_code == 201, r.text
        assert r.json()["pending_schedule"] == []
        assert "M6.overtime_premium" in await rules_of(api, r.json()["statement_id"])
    finally:
        calendar.reset(saved)
