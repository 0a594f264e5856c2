"""Premium days in a year without its holiday schedule (CAL-2, CAL-3 of shared/legal/cases.md), through
the wages API, and judged again when the regulator loads the year at the gateway (Kafka, real services).

Wages learns the engagement from contracts' events (published here as contracts' relay would) and the
schedule from the gateway's topic, as in production. The suite's clock stands on 2027-03-01.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time

import pytest

from newform_common import calendar, clock
from newform_common.kafka import ensure_topics
from newform_common.policy import BUSINESS_TZ
from newform_common.testing import eventually, migrated_database, running_service, scalar, unique_name
from newform_gateway.main import create_app as create_gateway
from newform_wages.main import create_app as create_wages

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings
from ..kit.wages import new_platform, new_worker, statement, wages_settings_for
from .oracle import CASES
from .test_calendar import SCHEDULE_2027

MARCH_2027 = datetime.combine(date(2027, 3, 1), time(10), tzinfo=BUSINESS_TZ)


@pytest.fixture(scope="module")
async def stack(new_database, kafka, tokens):
    saved = calendar.installed()
    calendar.reset({y: s for y, s in saved.items() if y != 2027})  # 2027 has no schedule yet
    prefix = unique_name("calw").replace("_", "")
    await ensure_topics(kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("gateway", "contracts", "wages")])
    wages_settings = wages_settings_for(
        prefix,
        await migrated_database(new_database, "wages"),
        kafka.bootstrap_servers,
        tokens.public_pem,
        calendar_topic=f"{prefix}-gateway.events",
    )
    gateway = gateway_settings(
        prefix, await migrated_database(new_database, "gateway"), kafka.bootstrap_servers, tokens.public_pem
    )
    async with (
        running_service(create_gateway, gateway, tokens) as gw,
        running_service(create_wages, wages_settings, tokens) as wages,
    ):
        yield gw, wages, EventFeed(kafka.bootstrap_servers, topics={"contracts": f"{prefix}-contracts.events"})
    calendar.reset(saved)


async def february_statement(wages, feed, premium_day: str) -> dict:
    """A labour contract's February 2027 statement: 20 yuan an hour, 8 h on `premium_day` paid at 100 %."""
    platform, worker = new_platform(), new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=platform, start=date(2027, 1, 1))

    async def engagement_known():
        return await scalar(wages.url, "select status from engagements where contract_id = :c", c=contract) == "signed"

    await eventually(engagement_known)
    r = await wages.client.post(
        "/v1/statements",
        headers=wages.as_platform(platform),
        json=statement(
            "2027-02-" + secrets.token_hex(3),
            contract,
            worker,
            period_start="2027-02-01",
            period_end="2027-02-28",
            due_date="2027-03-10",
            base_fen=320_000,
            gross_fen=336_000,
            overtime_fen=16_000,
            normal_hours=160,
            premium_days=[{"date": premium_day, "hours": 8}],
            paid_fen=0,
            paid_on=None,
        ),
    )
    assert r.status_code == 201, r.text  # stored, never a 5xx
    return {**r.json(), "platform_id": platform}


async def premium_findings(wages, s: dict) -> list[dict]:
    r = await wages.client.get(
        "/v1/findings",
        headers=wages.as_platform(s["platform_id"]),
        params={"subject_id": s["statement_id"], "rule": "M6.overtime_premium"},
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_CAL_2_a_statutory_holiday_is_owed_300_percent_without_a_schedule(stack):
    _, wages, feed = stack
    with clock.frozen_at(MARCH_2027):
        s = await february_statement(wages, feed, "2027-02-06")
    assert s["pending_schedule"] == [], CASES["CAL-2"].answer
    found = await premium_findings(wages, s)
    assert len(found) == 1 and found[0]["measure"] == "M6", CASES["CAL-2"].answer
    assert found[0]["evidence"]["required_by_kind_fen"] == {"statutory_holiday": 48_000}  # 8 h × 20 × 300 %


async def test_CAL_3_a_weekday_of_the_festival_week_waits_for_the_schedule_then_is_judged(stack):
    gateway, wages, feed = stack
    with clock.frozen_at(MARCH_2027):
        s = await february_statement(wages, feed, "2027-02-09")
        assert s["status"] == "judged" and s["pending_schedule"] == ["2027-02-09"], CASES["CAL-3"].answer
        assert await premium_findings(wages, s) == []  # not judged as a working day either
        shown = await wages.client.get(
            f"/v1/statements/{s['statement_id']}", headers=wages.as_platform(s["platform_id"])
        )
        assert shown.json()["pending_schedule"] == ["2027-02-09"]

        loaded = await gateway.client.put("/v1/calendar/schedules/2027", headers=gateway.regulator, json=SCHEDULE_2027)
        assert loaded.status_code == 201, loaded.text

        async def judged():
            r = await wages.client.get(
                f"/v1/statements/{s['statement_id']}", headers=wages.as_platform(s["platform_id"])
            )
            return r.json()["pending_schedule"] == []

        await eventually(judged, timeout=30)
    found = await premium_findings(wages, s)
    # the loaded schedule makes 02-09 a rest day of the holiday week: 200 % owed for rest-day work
    assert len(found) == 1 and found[0]["evidence"]["required_by_kind_fen"] == {"rest_day": 32_000}, CASES["CAL-3"]
