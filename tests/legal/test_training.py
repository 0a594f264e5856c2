"""Training subsidies (T-1 … T-4 of cases.md, M13): the yearly limit by the Asia/Shanghai date, training places
from the departments' verified records (public security's 户籍, hrss's job-seeking registration) with the
ground and its source on the decision, and budgets paid first come, first paid — through the public APIs
of contracts (the worker), departments (the facts) and training (the claims), over Kafka."""

from __future__ import annotations

import pytest

from newform_common import testing as kit
from newform_common.testing import eventually, unique_name

from .facts_support import Case, World, id_number, world

CASES = [
    Case(
        "T-1",
        "claim A made 2026-01-01 06:00 (+08:00); claim B (another occupation) 2026-03-01; yearly limit 1",
        "B refused: both fall in 2026",
        "subsidy rules; dates in Asia/Shanghai",
        {
            "a": ("courier", "2025-12-20", "2026-01-01T06:00:00+08:00"),
            "b": ("on_demand_delivery", "2026-02-20", "2026-03-01T10:00:00+08:00"),
        },
    ),
    Case(
        "T-2",
        "household registration held in a verified record (public security) differs from the ID number's "
        "issuing region",
        "the verified record decides; the ID prefix is only a fallback, said so on the decision",
        "the measures item 13 (户籍地)",
        {
            "id_region": "630104",
            "id_district": "chengxi",
            "registered_region": "630121",
            "registered_district": "datong",
        },
    ),
    Case(
        "T-3",
        "a job-seeking place claimed with no job-seeking registration on record",
        "that ground does not qualify the place",
        "item 13 (求职地)",
        {"claimed": "huangyuan"},
    ),
    Case(
        "T-4",
        "budget left 1,000; queued claim A (2,000) older than new claim B (1,000)",
        "B does not overtake A (first come, first paid)",
        "—",
        {"budget_fen": 100000, "a_level": 3, "a_fen": 200000, "b_level": 5, "b_fen": 100000},
    ),
]
BY_ID = {c.id: c for c in CASES}


@pytest.fixture(scope="module")
async def w(new_database, kafka, tokens):
    async with world(new_database, kafka, tokens, training=True) as running:
        yield running


async def registered_worker(w: World, number: str, residence: str = "chengdong") -> str:
    """A worker registered by a platform in contracts; training learns of them from contracts' event."""
    pid = await w.platform()
    await w.worker(pid, number, residence=residence)
    worker_id = kit.worker_id_of(number)

    async def known():
        return await kit.scalar(w.training.url, "select count(*) from worker_places where worker_id = :w", w=worker_id)

    await eventually(known, timeout=60)
    return worker_id


async def certificate(
    w: World, worker_id: str, *, occupation: str = "on_demand_delivery", level: int = 5, issued_on: str = "2026-03-25"
) -> str:
    t = w.training
    body = unique_name("cb").replace("_", "-")
    r = await t.client.post(
        "/v1/certification-bodies",
        headers=t.department("hrss"),
        json={
            "body_id": body,
            "name": "职业技能鉴定中心",
            "credit_code": kit.credit_code(),
            "scope": [{"occupation": occupation, "levels": [5, 4, 3]}],
        },
    )
    assert r.status_code == 201, r.text
    number = unique_name("QH").replace("_", "-")
    r = await t.client.post(
        "/v1/certificates",
        headers=t.role("training_body", subject=body),
        json={
            "certificate_number": number,
            "worker_id": worker_id,
            "occupation": occupation,
            "level": level,
            "issued_on": issued_on,
        },
    )
    assert r.status_code == 201, r.text
    return number


async def claim(w: World, worker_id: str, number: str, district: str, **extra):
    return await w.training.client.post(
        "/v1/claims",
        headers=w.training.as_worker(worker_id),
        json={"certificate_number": number, "training_district": district, **extra},
    )


async def place_fact_held(w: World, worker_id: str, kind: str) -> None:
    async def held():
        return await kit.scalar(
            w.training.url,
            "select count(*) from verified_places where worker_id = :w and kind = :k",
            w=worker_id,
            k=kind,
        )

    await eventually(held, timeout=60)


@pytest.mark.parametrize("case", [BY_ID["T-1"]], ids=["T-1"])
async def test_T_1_the_yearly_limit_counts_the_year_in_asia_shanghai(w, case):
    worker = await registered_worker(w, id_number("630104"), residence="chengxi")
    (occ_a, issued_a, at_a), (occ_b, issued_b, at_b) = case.data["a"], case.data["b"]
    a = await claim(
        w, worker, await certificate(w, worker, occupation=occ_a, issued_on=issued_a), "chengxi", received_at=at_a
    )
    assert a.status_code == 201, a.text
    assert a.json()["year"] == 2026  # 2025-12-31T22:00Z is 1 January 2026 in Xining
    b = await claim(
        w, worker, await certificate(w, worker, occupation=occ_b, issued_on=issued_b), "chengxi", received_at=at_b
    )
    assert b.status_code == 422, case.answer
    assert b.json()["rule"] == "M13.yearly_limit_reached" and a.json()["claim_id"] in b.json()["detail"]
    future = await claim(
        w,
        worker,
        await certificate(w, worker, occupation=occ_b, issued_on=issued_b),
        "chengxi",
        received_at="2099-01-01T00:00:00+08:00",
    )
    assert future.status_code == 422 and future.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("case", [BY_ID["T-2"]], ids=["T-2"])
async def test_T_2_public_securitys_record_decides_the_household_registration(w, case):
    number = id_number(case.data["id_region"])
    worker = await registered_worker(w, number)
    await w.state(
        "household-registrations",
        "police",
        {
            "reference": f"XNGA-HJ-{unique_name('r')}",
            "id_number": number,
            "region_code": case.data["registered_region"],
            "registered_on": "2020-05-01",
        },
    )
    await place_fact_held(w, worker, "household_registration")
    cert = await certificate(w, worker)
    # The ID number says chengxi; public security says datong. Training in chengxi has no ground.
    refused = await claim(w, worker, cert, case.data["id_district"])
    assert refused.status_code == 422 and refused.json()["rule"] == "M13.training_place_not_eligible"
    assert case.data["registered_region"] in refused.json()["detail"]
    accepted = await claim(w, worker, cert, case.data["registered_district"])
    assert accepted.status_code == 201, accepted.text
    basis = accepted.json()["place_basis"]
    assert basis["ground"] == "household_registration" and basis["source"] == "police"
    assert basis["reference"].startswith("XNGA-HJ-") and not basis.get("fallback")

    # Without a record from public security, the ID prefix is the fallback — and the decision says so.
    other = await registered_worker(w, id_number(case.data["id_region"]))
    fallback = await claim(w, other, await certificate(w, other), case.data["id_district"])
    assert fallback.status_code == 201, fallback.text
    basis = fallback.json()["place_basis"]
    assert basis["source"] == "id_number_prefix" and basis["fallback"] is True and "fallback" in basis["note"]


@pytest.mark.parametrize("case", [BY_ID["T-3"]], ids=["T-3"])
async def test_T_3_a_job_seeking_place_needs_a_registration_on_record(w, case):
    number = id_number("630104")
    worker = await registered_worker(w, number)
    cert = await certificate(w, worker)
    place = case.data["claimed"]
    written = await claim(w, worker, cert, place, job_seeking_district=place)
    assert written.status_code == 422, case.answer
    assert written.json()["rule"] == "M13.training_place_not_eligible"
    assert "job-seeking registration" in written.json()["detail"]
    # hrss registers the worker as seeking work there: now the ground holds, on hrss's word.
    await w.state(
        "job-seeking-registrations",
        "hrss",
        {
            "reference": f"XNJY-{unique_name('r')}",
            "id_number": number,
            "district": place,
            "registered_on": "2026-01-05",
        },
    )
    await place_fact_held(w, worker, "job_seeking_registration")
    registered = await claim(w, worker, cert, place, job_seeking_district=place)
    assert registered.status_code == 201, registered.text
    basis = registered.json()["place_basis"]
    assert basis["ground"] == "job_seeking" and basis["source"] == "hrss" and basis["reference"].startswith("XNJY-")


@pytest.mark.parametrize("case", [BY_ID["T-4"]], ids=["T-4"])
async def test_T_4_a_later_smaller_claim_does_not_overtake_a_queued_one(w, case):
    t, hrss = w.training, w.training.department("hrss")
    district = "datong"
    assert (
        await t.client.put(f"/v1/budgets/{district}/2026", headers=hrss, json={"total_fen": case.data["budget_fen"]})
    ).status_code == 200
    ids = []
    for level in (case.data["a_level"], case.data["b_level"]):
        worker = await registered_worker(w, id_number("630121"))  # household registration datong (fallback)
        r = await claim(w, worker, await certificate(w, worker, level=level), district)
        assert r.status_code == 201, r.text
        ids.append(r.json()["claim_id"])
    a, b = ids
    assert [(await t.client.get(f"/v1/claims/{c}", headers=hrss)).json()["amount_fen"] for c in ids] == [
        case.data["a_fen"],
        case.data["b_fen"],
    ]
    decided_a = await t.client.post(f"/v1/claims/{a}/decision", headers=hrss, json={"decision": "approve"})
    assert decided_a.json()["status"] == "queued"  # 2,000 > 1,000 left
    decided_b = await t.client.post(f"/v1/claims/{b}/decision", headers=hrss, json={"decision": "approve"})
    assert decided_b.json()["status"] == "queued", case.answer  # it would fit, but A came first
    budget = [
        x
        for x in (await t.client.get("/v1/budgets", headers=hrss, params={"year": 2026})).json()
        if x["district"] == district
    ][0]
    assert budget["committed_fen"] == 0
    # The budget grows by 1,000: A (2,000 now fits) is funded first; B waits for the next money.
    grown = await t.client.put(
        f"/v1/budgets/{district}/2026", headers=hrss, json={"total_fen": case.data["budget_fen"] + case.data["b_fen"]}
    )
    assert grown.json()["committed_fen"] == case.data["a_fen"]
    statuses = [(await t.client.get(f"/v1/claims/{c}", headers=hrss)).json()["status"] for c in ids]
    assert statuses == ["approved", "queued"]
