"""Calendar and legal periods (CAL-1 … CAL-7 of shared/legal/cases.md), through the public APIs.

A gateway and a disputes service run on real PostgreSQL and Kafka, the disputes service listening
for holiday-schedule loads on the gateway's topic as in production. The suite's clock stands on the
cases' days (`clock.frozen_at`). The wages cases (CAL-2, CAL-3) are in test_wages_calendar.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

import pytest

from newform_common import calendar, clock
from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.testing import (
    ServiceApi,
    eventually,
    resident_id,
    scalar,
    worker_id_of,
)
from newform_disputes.handlers import DEADLINE_HANDLERS

from .disputes_support import disputes_and_gateway
from .oracle import CASES, on

#: A 2027 schedule shaped as the State Council publishes one (a test document, not the real notice).
SCHEDULE_2027 = {
    "source": "国办发明电〔2026〕测试号（国务院办公厅关于2027年部分节假日安排的通知，测试用）",
    "published_on": "2026-11-10",
    "rest_days": [
        "2027-01-01",
        "2027-01-02",
        "2027-01-03",
        *[f"2027-02-{d:02d}" for d in range(5, 12)],
        "2027-04-03",
        "2027-04-04",
        "2027-04-05",
        *[f"2027-05-{d:02d}" for d in range(1, 6)],
        "2027-06-09",
        "2027-09-15",
        *[f"2027-10-{d:02d}" for d in range(1, 8)],
    ],
    "working_days": ["2027-02-13", "2027-02-20", "2027-04-25", "2027-09-18", "2027-10-09"],
}


def clock_of(case: dict, kind: str) -> dict:
    return [c for c in case["clocks"] if c["kind"] == f"disputes.{kind}"][-1]


@dataclass
class Stack:
    gateway: ServiceApi
    disputes: ServiceApi

    def worker(self) -> tuple[str, dict]:
        worker_id = worker_id_of(resident_id())
        return worker_id, self.disputes.as_worker(worker_id)


@pytest.fixture(scope="module")
async def stack(new_database, kafka, tokens):
    saved = calendar.installed()
    async with disputes_and_gateway(new_database, kafka, tokens, "cal") as (disputes, gateway):
        yield Stack(gateway=gateway, disputes=disputes)
    calendar.reset(saved)


async def mediation(stack: Stack, received_on: str) -> dict:
    worker, headers = stack.worker()
    r = await stack.disputes.client.post(
        "/v1/cases",
        headers=headers,
        json={
            "category": "pay",
            "description": "拖欠工资（纸质申请，事后录入）",
            "platform_id": "p" + secrets.token_hex(4),
            "received_on": received_on,
            "claims": [{"item": "拖欠工资", "amount_fen": 348000}],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_CAL_1_statutory_days_of_2027_by_law_without_a_schedule(stack):
    case = CASES["CAL-1"]
    expected = {
        date.fromisoformat("2027-" + md.strip())
        for md in "01-01, 02-05, 02-06, 02-07, 02-08, 04-05, 05-01, 05-02, 06-09, 09-15, 10-01, 10-02, 10-03".split(",")
    }
    assert calendar.statutory_holidays(2027) == expected, case.answer
    for d in sorted(expected):
        r = await stack.gateway.client.get(f"/v1/calendar/days/{d}", headers=stack.gateway.regulator)
        assert r.status_code == 200 and r.json() == {
            "date": d.isoformat(),
            "kind": "statutory_holiday",
            "provisional": False,
        }, r.text
    weekday = await stack.gateway.client.get("/v1/calendar/days/2027-02-09", headers=stack.gateway.regulator)
    assert weekday.json() == {"date": "2027-02-09", "kind": "working_day", "provisional": True}


async def test_CAL_5_an_award_period_ending_in_the_national_day_break_ends_after_it(stack):
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-08-20")):
        r = await stack.disputes.client.post(
            "/v1/cases",
            headers=headers,
            json={
                "category": "pay",
                "description": "直接申请仲裁",
                "platform_id": "p" + secrets.token_hex(4),
                "claims": [{"item": "拖欠工资", "amount_fen": 348000}],
                "arbitration": {"received_on": "2025-08-15", "knew_of_breach_on": "2025-07-01"},
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        accepted = await stack.disputes.client.post(
            f"/v1/cases/{case_id}/arbitration/acceptance",
            headers=stack.disputes.department("hrss"),
            json={"accepted_on": "2025-08-18"},
        )
    assert accepted.status_code == 200, accepted.text
    award = clock_of(accepted.json(), "arbitration_award")
    assert award["last_day"] == "2025-10-09" and award["provisional"] is False, CASES["CAL-5"].answer
    assert datetime.fromisoformat(award["due_at"]) == on("2025-10-10", 0)  # the end of 10-09
    db = Database(stack.disputes.url, service="disputes")
    try:
        assert (await fire_due(db, DEADLINE_HANDLERS, now=on("2025-10-09", 23))) == []  # nothing overdue in time
        fired = await fire_due(db, DEADLINE_HANDLERS, now=on("2025-10-10", 1))
    finally:
        await db.dispose()
    assert [(d.kind, d.subject_id) for d in fired] == [("disputes.arbitration_award", case_id)]


async def test_CAL_6_acceptance_period_ending_on_a_holiday_ends_on_the_next_working_day(stack):
    worker, headers = stack.worker()
    with clock.frozen_at(on("2025-09-28")):
        r = await stack.disputes.client.post(
            "/v1/cases",
            headers=headers,
            json={
                "category": "pay",
                "description": "直接申请仲裁",
                "platform_id": "p" + secrets.token_hex(4),
                "claims": [{"item": "拖欠工资", "amount_fen": 348000}],
                "arbitration": {"received_on": "2025-09-26", "knew_of_breach_on": "2025-07-01"},
            },
        )
    assert r.status_code == 201, r.text
    acceptance = clock_of(r.json(), "arbitration_acceptance")
    assert acceptance["last_day"] == "2025-10-09" and acceptance["provisional"] is False, CASES["CAL-6"].answer


async def test_CAL_4_a_case_received_before_an_unscheduled_year_is_accepted_with_a_provisional_clock(stack):
    api, gateway = stack.disputes, stack.gateway
    with clock.frozen_at(on("2026-12-29")):
        december = await mediation(stack, "2026-12-29")
        refused_future = await api.client.post(
            "/v1/cases",
            headers=stack.worker()[1],
            json={"category": "pay", "description": "x", "platform_id": "p1", "received_on": "2026-12-30"},
        )
    assert refused_future.status_code == 422, refused_future.text  # a receipt cannot lie in the future
    acceptance = clock_of(december, "mediation_acceptance")
    assert acceptance["last_day"] == "2027-01-04" and acceptance["provisional"] is True, CASES["CAL-4"].answer
    assert "2027" in acceptance["provisional_reason"]

    with clock.frozen_at(on("2027-02-04")):  # a weekday of the Spring Festival week is not known yet
        february = await mediation(stack, "2027-02-04")
    spring = clock_of(february, "mediation_acceptance")
    assert spring["last_day"] == "2027-02-11" and spring["provisional"] is True
    for day in ("2027-01-04", "2027-03-01"):  # every day of a year without its schedule takes cases
        with clock.frozen_at(on(day)):
            later = clock_of(await mediation(stack, day), "mediation_acceptance")
        assert later["provisional"] is True and later["last_day"] > day

    with clock.frozen_at(on("2027-02-05")):
        bad = await gateway.client.put(
            "/v1/calendar/schedules/2027",
            headers=gateway.regulator,
            json={**SCHEDULE_2027, "rest_days": SCHEDULE_2027["rest_days"][3:]},
        )
        assert bad.status_code == 422 and bad.json()["type"].endswith("schedule-invalid")
        assert "2027-01-01 is a statutory holiday" in bad.text
        platform = await gateway.client.put(
            "/v1/calendar/schedules/2027", headers=gateway.as_platform("p1"), json=SCHEDULE_2027
        )
        assert platform.status_code == 403
        loaded = await gateway.client.put("/v1/calendar/schedules/2027", headers=gateway.regulator, json=SCHEDULE_2027)
        assert loaded.status_code == 201, loaded.text
        assert loaded.json()["origin"] == "loaded" and loaded.json()["loaded_by"].startswith("regulator:")

        async def recomputed_in_disputes():
            # the disputes service learnt the year from the gateway's topic and stored it in its own database
            if await scalar(api.url, "select count(*) from calendar_schedules where year = 2027") != 1:
                return False
            case = (await api.client.get(f"/v1/cases/{february['case_id']}", headers=api.regulator)).json()
            return clock_of(case, "mediation_acceptance")["provisional"] is False

        await eventually(recomputed_in_disputes, timeout=30)
        after = (await api.client.get(f"/v1/cases/{february['case_id']}", headers=api.regulator)).json()
        assert clock_of(after, "mediation_acceptance")["last_day"] == "2027-02-15", CASES["CAL-7"].answer
        kept = (await api.client.get(f"/v1/cases/{december['case_id']}", headers=api.regulator)).json()
        assert clock_of(kept, "mediation_acceptance") | {"days_left": None} == acceptance | {
            "provisional": False,
            "provisional_reason": None,
            "days_left": None,
        }, CASES["CAL-4"].answer

        async def shown_at_the_gateway():
            r = await gateway.client.get("/v1/calendar/recomputed", headers=gateway.regulator, params={"year": 2027})
            return {e["subject_id"]: e for e in r.json() if e["service"] == "disputes"}

        events = await eventually(lambda: _both(shown_at_the_gateway, december, february), timeout=30)
        moved = events[february["case_id"]]
        assert datetime.fromisoformat(moved["due_at"]) == on("2027-02-16", 0)  # the end of 02-15
        assert datetime.fromisoformat(moved["previous_due_at"]) == on("2027-02-12", 0)
        assert events[december["case_id"]]["was_provisional"] and not events[december["case_id"]]["provisional"]

        again = await gateway.client.put("/v1/calendar/schedules/2027", headers=gateway.regulator, json=SCHEDULE_2027)
        assert again.status_code == 200 and again.json()["recomputed_deadlines"] == 0  # once, not twice
        # four provisional clocks (received 12-29, 01-04, 02-04, 03-01), each recomputed once: one event each
        assert await scalar(api.url, "select count(*) from outbox where type = 'disputes.deadline.recomputed.v1'") == 4
        assert await scalar(api.url, "select count(*) from deadlines where provisional") == 0

        listed = await gateway.client.get("/v1/calendar/schedules", headers=gateway.regulator)
        years = {s["year"]: s for s in listed.json()}
        assert years[2027]["origin"] == "loaded" and years[2026]["origin"] == "bundled"
        coverage = await gateway.client.get("/v1/calendar/coverage", headers=gateway.regulator)
        assert coverage.json()["covered_until"] == "2027-12-31"


async def _both(shown, *cases):
    events = await shown()
    return events if all(c["case_id"] in events for c in cases) else None


def schedule_2028() -> dict:
    """A 2028 schedule (test document): the Spring Festival week 01-25..02-01 off, Saturday 02-05 at work."""
    rest = sorted(
        {
            *calendar.statutory_holidays(2028),
            *(date(2028, 1, d) for d in range(25, 32)),
            date(2028, 2, 1),
            *(date(2028, 10, d) for d in range(1, 8)),
        }
    )
    return {
        "source": "国办发明电〔2027〕测试号（国务院办公厅关于2028年部分节假日安排的通知，测试用）",
        "published_on": "2027-11-01",
        "rest_days": [d.isoformat() for d in rest],
        "working_days": ["2028-02-05", "2028-09-30"],
    }


async def test_CAL_7_every_open_clock_of_the_year_is_recomputed_once_in_one_transaction(stack):
    api, gateway = stack.disputes, stack.gateway
    received = ("2028-01-20", "2028-01-24", "2028-01-24")
    cases = []
    for day in received:
        with clock.frozen_at(on(day)):
            cases.append(await mediation(stack, day))
    before = {c["case_id"]: clock_of(c, "mediation_acceptance") for c in cases}
    # weekends and statutory days only: from 01-24, 01-25..28 off, 29/30 weekend → 01-31, 02-01, 02-02
    assert before[cases[1]["case_id"]]["last_day"] == "2028-02-02" and all(c["provisional"] for c in before.values())
    with clock.frozen_at(on("2028-01-25")):
        loaded = await gateway.client.put(
            "/v1/calendar/schedules/2028", headers=gateway.regulator, json=schedule_2028()
        )
        assert loaded.status_code == 201, loaded.text

        async def all_recomputed():
            rows = await scalar(
                api.url,
                "select count(*) from outbox where type = 'disputes.deadline.recomputed.v1' "
                "and (data->>'schedule_year')::int = 2028",
            )
            return rows == len(cases)

        await eventually(all_recomputed, timeout=30)
        after = {
            c["case_id"]: clock_of(
                (await api.client.get(f"/v1/cases/{c['case_id']}", headers=api.regulator)).json(),
                "mediation_acceptance",
            )
            for c in cases
        }
    # 01-31 and 02-01 are rest days of the week, Saturday 02-05 a working day: 02-02, 02-03, 02-04
    assert after[cases[1]["case_id"]]["last_day"] == "2028-02-04", CASES["CAL-7"].answer
    assert before[cases[0]["case_id"]]["last_day"] == "2028-01-31"  # 01-21, 01-24, then 01-31 after the festival
    assert after[cases[0]["case_id"]]["last_day"] == "2028-02-02"  # 01-31 and 02-01 are rest days of the week
    assert not any(c["provisional"] for c in after.values()), CASES["CAL-7"].answer
    # one transaction: the recomputation's events were written together (one transaction, one now())
    moments = await scalar(
        api.url,
        "select count(distinct created_at) from outbox where "
        "type = 'disputes.deadline.recomputed.v1' and (data->>'schedule_year')::int = 2028",
    )
    assert moments == 1, CASES["CAL-7"].answer

    async def at_the_gateway():
        r = await gateway.client.get("/v1/calendar/recomputed", headers=gateway.regulator, params={"year": 2028})
        return len([e for e in r.json() if e["service"] == "disputes"]) == len(cases)

    await eventually(at_the_gateway, timeout=30)
