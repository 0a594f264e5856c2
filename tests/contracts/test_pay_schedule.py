"""The agreed pay day as data (工资支付暂行规定 art. 7; the measures item 6 按约定时间): a contract's
`terms.pay_schedule` is checked, stored with the terms and published on the drafted event, where wages
reads it to count arrears from the end of the agreed day (issue 19, W-1)."""

from __future__ import annotations

import pytest

from newform_common.testing import fetch

from ..kit.contracts import terms

MONTHLY_15TH = {"period": "month", "month_start_day": 1, "day_of_month": 15, "month_offset": 1}


async def test_a_structured_pay_day_is_stored_and_published_on_the_drafted_event(api):
    pid = await api.platform()
    worker = await api.worker(pid)
    api.raw_ids.add(worker["raw_id_number"])
    r = await api.draft(pid, worker["registration_id"], terms=terms(pay_schedule=MONTHLY_15TH))
    assert r.status_code == 201, r.text
    stored = {**MONTHLY_15TH, "days_after_period_end": None}
    assert r.json()["terms"]["pay_schedule"] == stored
    rows = await fetch(
        api.url,
        "select data from outbox where type = 'contracts.contract.drafted.v1' and data ->> 'contract_id' = :c",
        c=r.json()["contract_id"],
    )
    assert rows[0]["data"]["pay_schedule"] == stored
    assert rows[0]["data"]["hours_arrangement"] == "standard"


BAD_SCHEDULES = [
    ("monthly without a day", {"period": "month"}),
    ("pay day inside the pay month", {"period": "month", "day_of_month": 10, "month_offset": 0}),
    ("weekly without days after its end", {"period": "week"}),
    ("a period other than the contract's", {"period": "week", "days_after_period_end": 3}),
    ("free text", "每月15日"),
]


@pytest.mark.parametrize("case, schedule", BAD_SCHEDULES, ids=[b[0] for b in BAD_SCHEDULES])
async def test_an_incomplete_or_inconsistent_pay_schedule_is_a_problem(api, case, schedule):
    pid = await api.platform()
    worker = await api.worker(pid)
    api.raw_ids.add(worker["raw_id_number"])
    r = await api.draft(pid, worker["registration_id"], terms=terms(pay_schedule=schedule))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
