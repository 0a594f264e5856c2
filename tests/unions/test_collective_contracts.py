"""Collective contracts (M17): signing, submission within 10 days (late → finding, once), hrss's 15 days
and entry into force (on Kafka, in the shape wages and contracts consume), an objection, early approval."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from .helpers import days_ago, findings_of, platform, published, registered, today, union, worker

TERMS = {
    "piece_rates": [{"occupation": "food_delivery", "order_type": "standard", "min_rate_fen": 500}],
    "quotas": [{"occupation": "food_delivery", "max_orders_per_day": 60}],
    "bad_weather_allowance_fen_per_day": 2000,
    "night_allowance_fen_per_hour": 300,
    "pay_growth_percent_per_year": 5,
}


async def _draft(api, uid: str, pid: str, **extra) -> dict:
    r = await api.client.post(
        "/v1/collective_contracts",
        headers=api.department("union"),
        json={
            "union_id": uid,
            "kind": "enterprise",
            "title": "外卖配送员集体合同",
            "platform_ids": [pid],
            "occupations": ["food_delivery"],
            "effective_from": days_ago(10),
            "effective_until": (today() + timedelta(days=365)).isoformat(),
            "terms": TERMS,
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft"
    return r.json()


async def _post(api, cc_id: str, step: str, headers, body) -> dict:
    r = await api.client.post(f"/v1/collective_contracts/{cc_id}/{step}", headers=headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def test_late_submission_then_hrss_silent_for_15_days_puts_it_in_force_and_publishes_it(unions, kafka):
    api = unions.api
    pid = platform()
    uid = await union(api, [pid])
    cc = await _draft(api, uid, pid)
    cid = cc["collective_contract_id"]

    future = await api.client.post(
        f"/v1/collective_contracts/{cid}/signing",
        headers=api.department("union"),
        json={"signed_on": (today() + timedelta(days=1)).isoformat()},
    )
    assert future.status_code == 422 and future.json()["rule"] == "M17.date_in_future"
    signed = await _post(api, cid, "signing", api.as_platform(pid), {"signed_on": days_ago(30)})
    assert signed["status"] == "signed"
    assert [c["kind"] for c in signed["clocks"]] == ["unions.collective_contract.submission"]

    fired = await unions.fire(datetime.now(UTC))
    assert ("unions.collective_contract.submission", cid) in fired
    [late] = await findings_of(api, cid, "M17.collective_contract_submitted_late")
    assert late["platform_id"] == pid and late["evidence"]["signed_on"] == days_ago(30)

    received = today() - timedelta(days=3)
    submitted = await _post(api, cid, "submission", api.department("union"), {"submitted_on": received.isoformat()})
    assert submitted["status"] == "submitted" and submitted["submitted_late"] is True
    assert len(await findings_of(api, cid, "M17.collective_contract_submitted_late")) == 1  # one debt, one case
    [review] = submitted["clocks"]
    assert review["kind"] == "unions.collective_contract.review"

    assert ("unions.collective_contract.review", cid) not in await unions.fire(datetime.now(UTC))
    fired = await unions.fire(datetime.now(UTC) + timedelta(days=20))
    assert ("unions.collective_contract.review", cid) in fired
    now_in_force = (await api.client.get(f"/v1/collective_contracts/{cid}", headers=api.as_platform(pid))).json()
    assert now_in_force["status"] == "in_force"
    in_force_on = date.fromisoformat(now_in_force["in_force_on"])
    assert in_force_on > received + timedelta(days=15)  # the day after the 15th (moved past rest days)

    [event] = await published(kafka, api, "unions.collective_contract.in_force.v1", "collective_contract_id", cid)
    assert event == {
        "collective_contract_id": cid,
        "union_id": uid,
        "kind": "enterprise",
        "platform_ids": [pid],
        "districts": [],
        "occupations": ["food_delivery"],
        "effective_from": days_ago(10),
        "effective_until": (today() + timedelta(days=365)).isoformat(),
        "in_force_on": in_force_on.isoformat(),
        "terms": {
            "piece_rates": [{"occupation": "food_delivery", "order_type": "standard", "min_rate_fen": 500}],
            "quotas": [{"occupation": "food_delivery", "max_orders_per_day": 60}],
            "bad_weather_allowance_fen_per_day": 2000,
            "night_allowance_fen_per_hour": 300,
        },
    }


async def test_hrss_objects_within_15_days_and_the_contract_goes_back(unions):
    api = unions.api
    pid = platform()
    uid = await union(api, [pid])
    cid = (await _draft(api, uid, pid))["collective_contract_id"]
    await _post(api, cid, "signing", api.department("union"), {"signed_on": days_ago(4)})
    submitted = await _post(api, cid, "submission", api.as_platform(pid), {"submitted_on": days_ago(2)})
    assert submitted["submitted_late"] is False
    assert await findings_of(api, cid, "M17.collective_contract_submitted_late") == []

    not_hrss = await api.client.post(
        f"/v1/collective_contracts/{cid}/review",
        headers=api.department("union"),
        json={"decision": "approve", "on": today().isoformat()},
    )
    assert not_hrss.status_code == 403
    returned = await _post(
        api,
        cid,
        "review",
        api.department("hrss"),
        {"decision": "object", "on": today().isoformat(), "reasons": ["计件单价条款不明确"]},
    )
    assert returned["status"] == "returned" and returned["objections"] == ["计件单价条款不明确"]
    assert returned["clocks"] == []
    assert ("unions.collective_contract.review", cid) not in await unions.fire(datetime.now(UTC) + timedelta(days=30))

    revised = await api.client.put(
        f"/v1/collective_contracts/{cid}/terms",
        headers=api.department("union"),
        json={"effective_from": days_ago(1), "terms": {**TERMS, "quotas": []}},
    )
    assert revised.status_code == 200 and revised.json()["status"] == "draft", revised.text
    assert revised.json()["signed_on"] is None and revised.json()["objections"] == ["计件单价条款不明确"]
    again = await _post(api, cid, "signing", api.department("union"), {"signed_on": today().isoformat()})
    assert again["status"] == "signed"


async def test_an_objection_after_the_review_period_is_refused(unions):
    api = unions.api
    pid = platform()
    cid = (await _draft(api, await union(api, [pid]), pid))["collective_contract_id"]
    await _post(api, cid, "signing", api.department("union"), {"signed_on": days_ago(40)})
    await _post(api, cid, "submission", api.as_platform(pid), {"submitted_on": days_ago(40)})
    late = await api.client.post(
        f"/v1/collective_contracts/{cid}/review",
        headers=api.department("hrss"),
        json={"decision": "object", "on": today().isoformat(), "reasons": ["x"]},
    )
    assert late.status_code == 422 and late.json()["rule"] == "M17.objection_too_late"


async def test_hrss_approves_early_and_a_newer_contract_supersedes_the_one_in_force(unions, kafka):
    api = unions.api
    pid = platform()
    uid = await union(api, [pid])
    ids = []
    for approved_on in (days_ago(1), today().isoformat()):
        cid = (await _draft(api, uid, pid))["collective_contract_id"]
        await _post(api, cid, "signing", api.department("union"), {"signed_on": days_ago(3)})
        await _post(api, cid, "submission", api.as_platform(pid), {"submitted_on": days_ago(2)})
        approved = await _post(api, cid, "review", api.department("hrss"), {"decision": "approve", "on": approved_on})
        assert approved["status"] == "in_force" and approved["in_force_on"] == approved_on
        ids.append(cid)
    first = (await api.client.get(f"/v1/collective_contracts/{ids[0]}", headers=api.regulator)).json()
    assert first["status"] == "ended" and first["end_reason"] == "superseded"
    [ended] = await published(kafka, api, "unions.collective_contract.ended.v1", "collective_contract_id", ids[0])
    assert ended["reason"] == "superseded" and ended["ended_on"] == days_ago(1)


async def test_a_worker_reads_the_collective_contracts_that_bind_them_and_no_other(unions):
    """The workers' app reads with the worker's own token: the contracts in force binding the worker
    (their platform, occupation and district), never a draft, another platform's, or another occupation's."""
    api = unions.api
    pid, other_pid = platform(), platform()
    wid, stranger = worker(), worker()
    await registered(unions, wid, pid)  # food_delivery, chengxi
    await registered(unions, stranger, other_pid)
    uid = await union(api, [pid])
    binding = (await _draft(api, uid, pid))["collective_contract_id"]
    await _post(api, binding, "signing", api.department("union"), {"signed_on": days_ago(3)})
    await _post(api, binding, "submission", api.as_platform(pid), {"submitted_on": days_ago(2)})
    await _post(api, binding, "review", api.department("hrss"), {"decision": "approve", "on": today().isoformat()})
    draft = (await _draft(api, uid, pid))["collective_contract_id"]  # still being negotiated
    drivers = await union(api, [pid])
    other_trade = (await _draft(api, drivers, pid, occupations=["ride_hailing"]))["collective_contract_id"]
    await _post(api, other_trade, "signing", api.department("union"), {"signed_on": days_ago(3)})
    await _post(api, other_trade, "submission", api.as_platform(pid), {"submitted_on": days_ago(2)})
    await _post(api, other_trade, "review", api.department("hrss"), {"decision": "approve", "on": today().isoformat()})

    mine = await api.client.get("/v1/collective_contracts", headers=api.as_worker(wid))
    assert mine.status_code == 200
    [shown] = mine.json()["items"]
    assert shown["collective_contract_id"] == binding and shown["status"] == "in_force"
    assert shown["terms"]["piece_rates"][0]["min_rate_fen"] == 500
    one = await api.client.get(f"/v1/collective_contracts/{binding}", headers=api.as_worker(wid))
    assert one.status_code == 200 and one.json()["collective_contract_id"] == binding
    for hidden in (draft, other_trade):
        assert (
            await api.client.get(f"/v1/collective_contracts/{hidden}", headers=api.as_worker(wid))
        ).status_code == 404

    assert (await api.client.get("/v1/collective_contracts", headers=api.as_worker(stranger))).json()["items"] == []
    refused = await api.client.get(f"/v1/collective_contracts/{binding}", headers=api.as_worker(stranger))
    assert refused.status_code == 404
    # the union department still sees every contract, drafts included
    everything = await api.client.get(
        "/v1/collective_contracts", headers=api.department("union"), params={"limit": 200}
    )
    assert {binding, draft, other_trade} <= {c["collective_contract_id"] for c in everything.json()["items"]}
