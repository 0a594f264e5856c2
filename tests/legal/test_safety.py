"""M8 in bad weather under the lapse of the measures (DESIGN.md "Legal judgement"; cases.md has no M8 case,
so these follow its X-3 and X-4 patterns). The duty to limit dispatch and extend completion times in bad
weather rests on 宁政办〔2022〕41号 item 8 alone (the national guidance 国市监网监发〔2021〕38号 is no statute,
and no law names the duty): a warning after 2026-12-21 is still judged, provisionally; a warning before it
is judged under the measures in force on its own day, however late its clock fires."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from newform_common import testing as kit
from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.policy import BUSINESS_TZ, get_policy
from newform_common.testing import eventually
from newform_contracts.safety.service import DEADLINE_HANDLERS

from .facts_support import id_number, world


@pytest.fixture(scope="module")
async def w(new_database, kafka, tokens):
    async with world(new_database, kafka, tokens) as running:
        yield running


async def _silent_platform_under_warning(w, starts: datetime) -> tuple[str, str]:
    """A platform engaging a worker in chengxi (a live contract there), and a red snow warning for chengxi
    from `starts` that it never answers; (platform, warning id) once contracts holds the warning."""
    pid = await w.platform()
    partner = await w.partner(pid, "outsourcer", kit.credit_code())  # its district, chengxi: the place of work
    registration = await w.worker(pid, id_number())
    await w.sent_contract(pid, registration, partner, start="2026-12-01", end="2027-11-30")
    warning = await w.state(
        "weather-warnings",
        "emergency",
        {
            "reference": kit.unique_name("XNQX"),
            "district": "chengxi",
            "level": "red",
            "hazard": "snow",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=12)).isoformat(),
            "source": "西宁市气象台",
            "observed_at": (starts - timedelta(hours=1)).isoformat(),
        },
    )

    async def held():
        r = await w.contracts.client.get("/v1/weather-warnings", headers=w.contracts.as_platform(pid))
        return any(x["warning_id"] == warning["fact_id"] for x in r.json()["items"]) or None

    await eventually(held, timeout=90)
    return pid, warning["fact_id"]


async def _fire(w, at: datetime) -> None:
    settings = w.contracts.settings
    db = Database(w.contracts.url, service=settings.service_name, domain=settings.domain)
    try:
        await fire_due(db, DEADLINE_HANDLERS, now=at)
    finally:
        await db.dispose()


async def _finding(w, pid: str, warning_id: str) -> dict:
    r = await w.contracts.client.get(
        "/v1/findings", headers=w.contracts.regulator, params={"rule": "M8.weather_no_response", "limit": 200}
    )
    [found] = [f for f in r.json()["items"] if f["subject_id"] == warning_id and f["platform_id"] == pid]
    return found


async def test_m8_a_warning_after_the_measures_lapse_is_judged_provisionally(w):
    starts = datetime(2027, 1, 5, 6, 0, tzinfo=BUSINESS_TZ)
    pid, warning_id = await _silent_platform_under_warning(w, starts)
    minutes = get_policy().value("safety.weather_warning.response_within_minutes", starts)
    await _fire(w, starts + timedelta(minutes=minutes - 1))
    r = await w.contracts.client.get(
        "/v1/findings", headers=w.contracts.regulator, params={"rule": "M8.weather_no_response"}
    )
    assert not [f for f in r.json()["items"] if f["subject_id"] == warning_id]  # not before its time
    await _fire(w, starts + timedelta(minutes=minutes + 1))
    found = await _finding(w, pid, warning_id)
    assert found["measure"] == "M8" and found["district"] == "chengxi"
    assert found["evidence"]["policy_basis"]["provisional"] is True


async def test_m8_a_warning_before_the_lapse_is_judged_under_the_measures_in_force_that_day(w):
    starts = datetime(2026, 12, 20, 6, 0, tzinfo=BUSINESS_TZ)
    pid, warning_id = await _silent_platform_under_warning(w, starts)
    await _fire(w, datetime(2027, 1, 2, 9, 0, tzinfo=BUSINESS_TZ))  # the clock fires late, after the lapse
    found = await _finding(w, pid, warning_id)
    assert "policy_basis" not in found["evidence"]
