"""Collective contracts' standards bind individual pay and quotas (劳动合同法 art. 55; the measures items 6,
7, 17): a collective contract published by unions on Kafka, statements and quotas through wages' HTTP API."""

from __future__ import annotations

from datetime import date

from newform_common.testing import eventually, fetch, scalar

from ..kit.collective import collective_ended, collective_in_force, piece_rate
from ..kit.wages import new_platform, new_worker, statement

PIECE = "M6.collective_piece_rate_below"
NIGHT = "M7.collective_night_allowance_below"
QUOTA = "M7.collective_quota_above"


async def collective_known(api, cc_id: str, ended: bool = False):
    async def check():
        row = await fetch(
            api.url, "select ended_on from collective_contracts where collective_contract_id = :c", c=cc_id
        )
        return bool(row) and (row[0]["ended_on"] is not None) == ended

    await eventually(check)


async def engagement_known(api, contract_id: str):
    async def check():
        return await scalar(api.url, "select status from engagements where contract_id = :c", c=contract_id) == "signed"

    await eventually(check)


async def findings_of(api, statement_id: str) -> dict[str, dict]:
    rows = await fetch(api.url, "select rule, evidence from findings where subject_id = :s", s=statement_id)
    return {r["rule"]: r["evidence"] for r in rows}


async def a_worker(api, feed, pid: str, **kw) -> tuple[str, str]:
    worker = new_worker()
    contract = await feed.signed(worker_id=worker, platform_id=pid, **kw)
    await engagement_known(api, contract)
    return worker, contract


async def post_statement(api, pid: str, line: dict) -> str:
    r = await api.client.post("/v1/statements", headers=api.as_platform(pid), json=line)
    assert r.status_code == 201, r.text
    return r.json()["statement_id"]


async def test_piece_pay_below_the_lowest_agreed_rate_is_a_finding_at_it_none(api, feed):
    pid = new_platform()
    cc = await collective_in_force(feed, [pid], piece_rates=[piece_rate("meal", 500), piece_rate("errand", 450)])
    await collective_known(api, cc)
    worker, contract = await a_worker(api, feed, pid)
    # 800 orders at 4.49 yuan on average: below 4.50, the lowest agreed rate of food delivery
    below = await post_statement(
        api, pid, statement("cc-below", contract, worker, piece_fen=359_200, piece_orders=800, gross_fen=659_200)
    )
    found = await findings_of(api, below)
    assert found[PIECE]["collective_contract_id"] == cc
    assert found[PIECE]["agreed_min_rate_fen"] == 450 and found[PIECE]["average_rate_fen"] == 449
    # exactly the lowest agreed rate: nothing (whatever the order types were)
    at = await post_statement(
        api, pid, statement("cc-at", contract, worker, piece_fen=360_000, piece_orders=800, gross_fen=660_000)
    )
    assert PIECE not in await findings_of(api, at)


async def test_night_allowance_below_the_agreed_one_is_a_finding_at_it_none(api, feed):
    pid = new_platform()
    cc = await collective_in_force(feed, [pid], night_allowance_fen_per_hour=300)
    await collective_known(api, cc)
    worker, contract = await a_worker(api, feed, pid)
    night = {"night_hours": 20, "gross_fen": 306_000}
    below = await post_statement(api, pid, statement("n-below", contract, worker, night_allowance_fen=5_999, **night))
    found = await findings_of(api, below)
    assert found[NIGHT]["collective_contract_id"] == cc and found[NIGHT]["owed_fen"] == 6_000
    at = await post_statement(api, pid, statement("n-at", contract, worker, night_allowance_fen=6_000, **night))
    assert NIGHT not in await findings_of(api, at)
    no_night = await post_statement(api, pid, statement("n-none", contract, worker))
    assert await findings_of(api, no_night) == {}


async def test_a_contract_not_covering_the_platform_occupation_or_district_binds_nothing(api, feed):
    pid, other = new_platform(), new_platform()
    rates = [piece_rate("meal", 500), piece_rate("ride", 900, occupation="ride_hailing")]
    for cc in [
        await collective_in_force(feed, [other], piece_rates=rates),  # another platform
        await collective_in_force(feed, [pid], occupations=["ride_hailing"], piece_rates=rates),  # other trade
        await collective_in_force(feed, [pid], kind="district", districts=["chengxi"], piece_rates=rates),
    ]:
        await collective_known(api, cc)
    worker, contract = await a_worker(api, feed, pid, district="chengdong")
    low = await post_statement(
        api, pid, statement("nc", contract, worker, piece_fen=100_000, piece_orders=800, gross_fen=400_000)
    )
    assert PIECE not in await findings_of(api, low)


async def test_an_ended_contract_binds_facts_before_its_end_not_after(api, feed):
    pid = new_platform()
    cc = await collective_in_force(feed, [pid], piece_rates=[piece_rate("meal", 500)])
    await collective_known(api, cc)
    await collective_ended(feed, cc, date(2024, 2, 29), reason="terminated")  # the last day it applied
    await collective_known(api, cc, ended=True)
    worker, contract = await a_worker(api, feed, pid)
    low = {"piece_fen": 100_000, "piece_orders": 800, "gross_fen": 400_000}
    february = await post_statement(
        api,
        pid,
        statement(
            "e-feb", contract, worker, period_start="2024-02-01", period_end="2024-02-29", due_date="2024-03-10", **low
        ),
    )
    assert (await findings_of(api, february))[PIECE]["collective_contract_id"] == cc
    march = await post_statement(api, pid, statement("e-mar", contract, worker, **low))
    assert PIECE not in await findings_of(api, march)


async def quota_findings(api, quota_id: str) -> list[dict]:
    return await fetch(
        api.url, "select evidence from findings where rule = :r and subject_id = :q", r=QUOTA, q=quota_id
    )


async def declare(api, pid: str, orders: int, post: str = "food_delivery", effective_from: str = "2024-01-01") -> str:
    r = await api.client.post(
        "/v1/quotas",
        headers=api.as_platform(pid),
        json={"post": post, "orders_per_day": orders, "effective_from": effective_from},
    )
    assert r.status_code == 201, r.text
    return r.json()["quota_id"]


async def test_a_quota_above_the_agreed_one_is_a_finding_when_declared_at_it_none(api, feed):
    pid = new_platform()
    cc = await collective_in_force(feed, [pid], quotas=[{"occupation": "food_delivery", "max_orders_per_day": 40}])
    await collective_known(api, cc)
    above = await declare(api, pid, 41)
    (found,) = await quota_findings(api, above)
    assert found["evidence"]["collective_contract_id"] == cc and found["evidence"]["agreed_max_orders_per_day"] == 40
    at = await declare(api, pid, 40, effective_from="2024-06-01")
    assert await quota_findings(api, at) == []
    other_post = await declare(api, pid, 60, post="courier")
    assert await quota_findings(api, other_post) == []


async def test_a_collective_contract_coming_into_force_over_a_quota_judges_it_once(api, feed):
    pid = new_platform()
    quota = await declare(api, pid, 50)
    cc = await collective_in_force(
        feed, [pid], quotas=[{"occupation": "food_delivery", "max_orders_per_day": 45}], effective_from=date(2024, 7, 1)
    )
    await collective_known(api, cc)

    async def raised():
        return len(await quota_findings(api, quota)) == 1

    await eventually(raised)
    # the same contract again (a redelivery, or unions publishing it twice): nothing new
    await collective_in_force(
        feed,
        [pid],
        collective_contract_id=cc,
        quotas=[{"occupation": "food_delivery", "max_orders_per_day": 45}],
        effective_from=date(2024, 7, 1),
    )
    marker = await collective_in_force(feed, [pid])
    await collective_known(api, marker)
    assert len(await quota_findings(api, quota)) == 1
