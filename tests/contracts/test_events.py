"""Every state change produces its event on `contracts.events` (real Kafka), keyed as the catalogue
says, decodable by the registered models, and carrying no ID number or phone."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from newform_common.events import Envelope
from newform_common.testing import eventually, read_topic, scalar

from ..kit.contracts import terms
from .conftest import running_api


@pytest.fixture(scope="module")
async def live(new_database, kafka, tokens):
    async for a in running_api(new_database, kafka, tokens, relay_poll_interval_s=0.2, deadline_poll_interval_s=0.2):
        yield a


async def test_every_state_change_is_published_with_its_type_and_key(live, kafka):
    api = live
    pid = await api.platform()
    h = api.as_platform(pid)
    partner = await api.partner(pid, "outsourcer", qualified=False)
    worker = await api.worker(pid)
    wid = worker["worker_id"]
    c1 = (await api.draft(pid, worker["registration_id"], partner["enterprise_id"])).json()
    await api.client.post(f"/v1/contracts/{c1['contract_id']}/send", headers=h)
    for signer, headers in (("worker", api.as_worker(wid)), ("enterprise", h)):
        await api.client.post(
            f"/v1/contracts/{c1['contract_id']}/signatures", headers=headers, json={"signer": signer, "intent": "同意"}
        )
    ended = await api.client.post(
        f"/v1/contracts/{c1['contract_id']}/termination", headers=h, json={"reason": "协商一致解除"}
    )
    assert ended.status_code == 200
    c2 = await api.signed(
        pid,
        worker["registration_id"],
        start_date="2026-01-01",
        end_date="2026-06-30",
        part_time=True,
        terms=terms(pay_period="week"),
    )
    # Its end date has passed: the deadline worker expires it within a poll, no read needed.
    await eventually(
        lambda: scalar(api.url, "select status = 'expired' from contracts where id = :c", c=c2["contract_id"]),
        timeout=20,
    )
    restricted = await api.client.post(
        "/v1/account-restrictions",
        headers=h,
        json={
            "registration_id": worker["registration_id"],
            "action": "restrict",
            "reason_code": "low_rating",
            "effective_at": "2026-11-27T09:00:00+08:00",
        },
    )
    assert restricted.status_code == 201
    notice = await api.client.post(
        "/v1/rule-notices",
        headers=h,
        json={
            "topic": "commission_ratio",
            "title": "抽成比例",
            "content": "抽成20%",
            "published_on": "2026-11-10",
            "effective_on": "2026-11-20",
        },
    )
    assert notice.status_code == 201

    async def ours():
        records = await read_topic(kafka.bootstrap_servers, "contracts.events", expect=1, timeout=5)
        mine = [r for r in records if json.loads(r.value).get("platform_id") == pid]
        return mine if len(mine) >= 17 else None

    records = await eventually(ours, timeout=60, interval=0.5)
    envelopes = [Envelope.from_kafka(r.key, r.value, list(r.headers)) for r in records]
    types = Counter(e.type for e in envelopes)
    assert types == {
        "contracts.enterprise.registered.v1": 2,
        "contracts.worker.registered.v1": 1,
        "contracts.contract.drafted.v1": 2,
        "contracts.contract.sent.v1": 2,
        "contracts.contract.signed.v1": 2,
        "contracts.contract.terminated.v1": 1,
        "contracts.contract.expired.v1": 1,
        "contracts.account.restricted.v1": 1,
        "contracts.rule_notice.published.v1": 1,
        "contracts.finding.raised.v1": 4,
    }
    for e in envelopes:
        event = e.decode()  # the registered model accepts it
        assert e.key == event.partition_key()
        if e.type.startswith("contracts.contract.") or e.type in (
            "contracts.worker.registered.v1",
            "contracts.account.restricted.v1",
        ):
            assert e.key == wid
        if e.type == "contracts.rule_notice.published.v1":
            assert e.key == pid and e.data["consulted"] is False and e.data["version"] == 1
    findings = {e.data["rule"]: e for e in envelopes if e.type == "contracts.finding.raised.v1"}
    assert set(findings) == {
        "M3.unqualified_partner",
        "M5.restriction_without_listed_reason",
        "M5.restriction_without_notice",
        "M10.no_consultation",
    }
    assert findings["M3.unqualified_partner"].key == c1["contract_id"]
    assert findings["M3.unqualified_partner"].data["worker_id"] == wid
    assert findings["M3.unqualified_partner"].data["occupation"] == "food_delivery"
    signed = next(e for e in envelopes if e.type == "contracts.contract.signed.v1")
    assert sorted(signed.data["signed_by"]) == ["enterprise", "worker"] and len(signed.data["document_sha256"]) == 64
    terminated = next(e for e in envelopes if e.type == "contracts.contract.terminated.v1")
    assert terminated.data["reason"] == "协商一致解除"
    drafted = next(
        e
        for e in envelopes
        if e.data.get("contract_id") == c1["contract_id"] and e.type == "contracts.contract.drafted.v1"
    )
    assert drafted.data["insurance"] == {"work_injury": True, "occupational_injury": False, "accident": True}
    assert drafted.data["pay_period"] == "month"
    registered = next(e for e in envelopes if e.type == "contracts.worker.registered.v1")
    assert registered.data["household_registration_region"] == worker["raw_id_number"][:6]
    for r in records:
        raw = r.value.decode()
        assert worker["raw_id_number"] not in raw and worker["raw_phone"] not in raw
        assert worker["raw_id_number"].encode() not in b"".join(v for _, v in r.headers)


async def test_a_refused_request_publishes_nothing(live, kafka):
    api = live
    pid = await api.platform()
    worker = await api.worker(pid)
    refused = await api.draft(
        pid, worker["registration_id"], terms={"pay_basis": "hourly", "pay_period": "hour", "deposit_fen": 100}
    )
    assert refused.status_code == 422
    # A later accepted change: the relay publishes in outbox order, so once it arrived, anything the
    # refused request had written would have arrived before it.
    await api.partner(pid, "agent")

    async def settled():
        records = await read_topic(kafka.bootstrap_servers, "contracts.events", expect=1, timeout=5)
        mine = [r for r in records if json.loads(r.value).get("platform_id") == pid]
        return mine if len(mine) >= 3 else None

    mine = await eventually(settled, timeout=60, interval=0.5)
    assert sorted(dict(r.headers)["ce_type"].decode() for r in mine) == [
        "contracts.enterprise.registered.v1",
        "contracts.enterprise.registered.v1",
        "contracts.worker.registered.v1",
    ]
