"""The training service's API per role, against real PostgreSQL and Kafka (M13)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from newform_common import testing as kit
from newform_common.auth import Principal, Role
from newform_common.policy import get_policy
from newform_common.testing import eventually, read_topic, scalar
from newform_contracts.events import WorkerRegistered
from newform_training import service
from newform_training.models import Claim
from newform_training.schemas import BudgetSet, ClaimCreate, Decision

from ..kit.feed import EventFeed
from ..kit.training import new_worker


async def test_the_service_is_ready_and_findings_need_a_token(api):
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    assert (await api.client.get("/v1/findings")).status_code == 401


async def test_only_hrss_registers_providers_and_bodies_and_bodies_certify_only_their_scope(api):
    refused = await api.client.post(
        "/v1/providers",
        headers=api.department("market"),
        json={
            "provider_id": "x-1",
            "name": "x",
            "kind": "institution",
            "credit_code": kit.credit_code(),
            "district": "chengxi",
            "occupations": ["courier"],
        },
    )
    assert refused.status_code == 403
    bad_code = await api.client.post(
        "/v1/certification-bodies",
        headers=api.hrss,
        json={
            "body_id": "cb-bad",
            "name": "x",
            "credit_code": "91630100MA7XYZ0013",
            "scope": [{"occupation": "courier", "levels": [5]}],
        },
    )
    assert bad_code.status_code == 422
    body, worker = await api.body(), new_worker()
    outside = await api.client.post(
        "/v1/certificates",
        headers=api.as_body(body),
        json={
            "certificate_number": "QH-OUTSIDE-1",
            "worker_id": worker,
            "occupation": "on_demand_delivery",
            "level": 1,
            "issued_on": "2026-03-25",
        },
    )
    assert outside.status_code == 422 and outside.json()["rule"] == "M13.certificate_not_recognised"
    unknown_body = await api.client.post(
        "/v1/certificates",
        headers=api.as_body("cb-nobody"),
        json={
            "certificate_number": "QH-NOBODY-1",
            "worker_id": worker,
            "occupation": "on_demand_delivery",
            "level": 5,
            "issued_on": "2026-03-25",
        },
    )
    assert unknown_body.status_code == 403
    assert await scalar(api.url, "select count(*) from certificates where worker_id = :w", w=worker) == 0


async def test_a_worker_claim_and_an_enterprise_claim_for_one_certificate_only_one_is_paid(api):
    platform = kit.unique_name("plat")
    enterprise = await api.provider("enterprise", platform_id=platform)
    body, worker = await api.body(), new_worker()
    await api.lives_in(worker)  # household registration 630104 = chengxi, where the course is
    course = await api.course(enterprise, headers=api.as_platform(platform))
    enrolled = await api.client.post(
        f"/v1/courses/{course}/enrolments", headers=api.as_platform(platform), json={"worker_id": worker}
    )
    assert enrolled.status_code == 201
    number = await api.certificate(body, worker, course)

    # Anyone may verify the number; only the worker and oversight see whose it is.
    seen_by_other = (await api.client.get(f"/v1/certificates/{number}", headers=api.as_platform("other"))).json()
    assert seen_by_other["level"] == 5 and seen_by_other["worker_id"] is None
    assert (await api.client.get(f"/v1/certificates/{number}", headers=api.as_worker(worker))).json()[
        "worker_id"
    ] == worker

    claim = {"certificate_number": number, "training_district": "chengxi"}
    first = await api.client.post("/v1/claims", headers=api.as_worker(worker), json=claim)
    assert first.status_code == 201, first.text
    assert first.json()["payee"] == "worker" and first.json()["amount_fen"] == 100000
    retry_key = {"Idempotency-Key": "enterprise-claim-1"}
    second = await api.client.post("/v1/claims", headers={**api.as_platform(platform), **retry_key}, json=claim)
    assert second.status_code == 409 and second.headers["content-type"] == "application/problem+json"
    assert second.json()["first_claim_id"] == first.json()["claim_id"]
    assert second.json()["rule"] == "M13.certificate_already_claimed"
    replay = await api.client.post("/v1/claims", headers={**api.as_platform(platform), **retry_key}, json=claim)
    assert replay.status_code == 409 and replay.headers["Idempotent-Replayed"] == "true"
    # The refused attempt is kept (one row, not one per retry) and hrss sees a finding.
    assert (
        await scalar(
            api.url, "select count(*) from claims where certificate_number = :n and status = 'refused'", n=number
        )
        == 1
    )
    findings = (
        await api.client.get("/v1/findings", headers=api.hrss, params={"rule": "M13.certificate_claimed_twice"})
    ).json()["items"]
    assert [f["subject_id"] for f in findings] == [number]

    cid = first.json()["claim_id"]
    approved = await api.client.post(f"/v1/claims/{cid}/decision", headers=api.hrss, json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["status"] in ("approved", "queued")
    paid = await api.client.post(f"/v1/claims/{cid}/payment", headers=api.hrss, json={"payment_reference": "XNCZ-1"})
    if approved.json()["status"] == "queued":
        assert paid.status_code == 409
        await api.client.put("/v1/budgets/chengxi/2026", headers=api.hrss, json={"total_fen": 10_000_000})
        paid = await api.client.post(
            f"/v1/claims/{cid}/payment", headers=api.hrss, json={"payment_reference": "XNCZ-1"}
        )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert (
        await scalar(api.url, "select count(*) from claims where certificate_number = :n and status = 'paid'", n=number)
        == 1
    )


async def test_a_claim_beyond_the_budget_waits_and_is_funded_when_the_budget_grows(api):
    body, provider = await api.body(), await api.provider(district="huangyuan")
    workers = [new_worker() for _ in range(3)]
    course = await api.course(provider, district="huangyuan")
    await api.client.put("/v1/budgets/huangyuan/2026", headers=api.hrss, json={"total_fen": 150000})
    claims = []
    for w in workers:
        await api.lives_in(w, household_region="630123", residence="huangyuan")
        number = await api.certificate(body, w, course)
        r = await api.client.post(
            "/v1/claims",
            headers=api.as_worker(w),
            json={"certificate_number": number, "training_district": "huangyuan"},
        )
        assert r.status_code == 201, r.text
        claims.append(r.json()["claim_id"])
    statuses = []
    for cid in claims:
        d = await api.client.post(f"/v1/claims/{cid}/decision", headers=api.hrss, json={"decision": "approve"})
        statuses.append(d.json()["status"])
    assert statuses == ["approved", "queued", "queued"]
    queued = (await api.client.get(f"/v1/claims/{claims[1]}", headers=api.as_worker(workers[1]))).json()
    assert "budget" in queued["reason"]  # it says why it waits
    lowered = await api.client.put("/v1/budgets/huangyuan/2026", headers=api.hrss, json={"total_fen": 50000})
    assert lowered.status_code == 409
    grown = await api.client.put("/v1/budgets/huangyuan/2026", headers=api.hrss, json={"total_fen": 250000})
    assert grown.json()["committed_fen"] == 200000 and grown.json()["remaining_fen"] == 50000
    after = [(await api.client.get(f"/v1/claims/{c}", headers=api.hrss)).json()["status"] for c in claims]
    assert after == ["approved", "approved", "queued"]


async def test_refusals_name_their_rule_and_store_nothing(api):
    body, provider = await api.body(), await api.provider()
    worker, other = new_worker(), new_worker()
    await api.lives_in(worker)
    course = await api.course(provider)
    number = await api.certificate(body, worker, course)
    before = await scalar(api.url, "select count(*) from claims")
    cases = [
        (api.as_worker(other), {"certificate_number": number, "training_district": "chengxi"}, 403, None),
        (api.as_worker(worker), {"certificate_number": "QH-NOT-ISSUED", "training_district": "chengxi"}, 422, None),
        (
            api.as_worker(worker),
            {"certificate_number": number, "training_district": "chengxi", "amount_fen": 99},
            422,
            "M13.amount_not_catalogue",
        ),
        (api.as_worker(worker), {"certificate_number": number, "training_district": "datong"}, 422, None),
        (
            api.as_platform("someone"),
            {"certificate_number": number, "training_district": "chengxi"},
            422,
            "M13.enterprise_did_not_train",
        ),
        (api.as_worker(worker), {"certificate_number": number, "training_district": "nowhere"}, 422, None),
    ]
    for headers, claim, status, rule in cases:
        r = await api.client.post("/v1/claims", headers=headers, json=claim)
        assert r.status_code == status, (claim, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        if rule:
            assert r.json()["rule"] == rule and r.json()["measure"] == "M13"
    assert await scalar(api.url, "select count(*) from claims") == before
    # A training place outside all three of the worker's places, for a certificate without a course.
    loose = await api.certificate(body, worker, None, level=4)
    far = await api.client.post(
        "/v1/claims", headers=api.as_worker(worker), json={"certificate_number": loose, "training_district": "datong"}
    )
    assert far.status_code == 422 and far.json()["rule"] == "M13.training_place_not_eligible"


async def test_each_caller_sees_only_its_own_claims_and_only_hrss_decides(api):
    body, provider = await api.body(), await api.provider()
    a, b = new_worker(), new_worker()
    course = await api.course(provider)
    ids = {}
    for w in (a, b):
        await api.lives_in(w)
        number = await api.certificate(body, w, course)
        r = await api.client.post(
            "/v1/claims", headers=api.as_worker(w), json={"certificate_number": number, "training_district": "chengxi"}
        )
        ids[w] = r.json()["claim_id"]
    mine = (await api.client.get("/v1/claims", headers=api.as_worker(a))).json()["items"]
    assert [c["claim_id"] for c in mine] == [ids[a]]
    assert (await api.client.get(f"/v1/claims/{ids[b]}", headers=api.as_worker(a))).status_code == 404
    assert (await api.client.get("/v1/claims", headers=api.as_platform("p-none"))).json()["items"] == []
    market = await api.client.post(
        f"/v1/claims/{ids[a]}/decision", headers=api.department("market"), json={"decision": "approve"}
    )
    assert market.status_code == 403
    no_reason = await api.client.post(f"/v1/claims/{ids[a]}/decision", headers=api.hrss, json={"decision": "reject"})
    assert no_reason.status_code == 422
    rejected = await api.client.post(
        f"/v1/claims/{ids[a]}/decision", headers=api.hrss, json={"decision": "reject", "reason": "培训记录与证书不符"}
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "培训记录与证书不符"


async def test_worker_places_come_from_contracts_events_and_claims_are_published(api, kafka):
    worker = kit.worker_id_of(kit.resident_id(region="630121"))
    await EventFeed(kafka.bootstrap_servers, topics={"contracts": api.contracts_topic}).send(
        WorkerRegistered(  # the producer's own event model
            worker_id=worker,
            registration_id="reg_1",
            platform_id="p1",
            occupation="on_demand_delivery",
            residence_district="datong",
            household_registration_region="630121",
            registered_at="2026-01-05T09:00:00+08:00",
        )
    )
    await eventually(
        lambda: scalar(api.url, "select residence_district from worker_places where worker_id = :w", w=worker),
        timeout=30,
    )
    body, provider = await api.body(), await api.provider(district="datong")
    number = await api.certificate(body, worker, await api.course(provider, district="datong"))
    r = await api.client.post(
        "/v1/claims", headers=api.as_worker(worker), json={"certificate_number": number, "training_district": "datong"}
    )
    assert r.status_code == 201, r.text

    async def published():
        records = await read_topic(kafka.bootstrap_servers, api.settings.topic, expect=1, timeout=5)
        return [
            json.loads(x.value)
            for x in records
            if dict(x.headers).get("ce_type") == b"training.claim.submitted.v1"
            and json.loads(x.value)["worker_id"] == worker
        ]

    [event] = await eventually(published, timeout=30)
    assert event["certificate_number"] == number and event["payee"] == "worker" and event["district"] == "datong"


async def test_a_claim_decided_while_its_districts_first_budget_is_set_is_funded_whichever_commits_first(api):
    """Deciding (finds no budget: the claim is queued) and setting the district's first budget (funds the
    queued claims) side by side: with no budget row to lock, each missed the other's uncommitted row and
    the claim stayed queued with the budget unspent."""

    officer = Principal(subject="hrss-officer", role=Role.department, department="hrss")
    body, worker_places = await api.body(), {"chengzhong": "630103", "chengbei": "630105"}
    for district, decision_first in (("chengzhong", True), ("chengbei", False)):
        worker = new_worker()
        await api.lives_in(worker, household_region=worker_places[district], residence=district)
        number = await api.certificate(
            body, worker, await api.course(await api.provider(district=district), district=district)
        )
        submitted = await api.client.post(
            "/v1/claims",
            headers=api.as_worker(worker),
            json={"certificate_number": number, "training_district": district},
        )
        claim_id, year = (
            submitted.json()["claim_id"],
            await scalar(api.url, "select year from claims where id = :id", id=submitted.json()["claim_id"]),
        )

        async def decide(session, claim_id=claim_id):
            claim = await session.get(Claim, claim_id, with_for_update=True)
            return (await service.decide(session, officer, claim, Decision(decision="approve"))).status

        async def set_budget(session, district=district, year=year):
            return (await service.set_budget(session, district, year, BudgetSet(total_fen=10_000_000))).total_fen

        def put_budget(district=district, year=year):
            return api.client.put(f"/v1/budgets/{district}/{year}", headers=api.hrss, json={"total_fen": 10_000_000})

        def post_decision(claim_id=claim_id):
            return api.client.post(f"/v1/claims/{claim_id}/decision", headers=api.hrss, json={"decision": "approve"})

        if decision_first:
            _, second = await kit.while_open(api, decide, put_budget)
        else:
            _, second = await kit.while_open(api, set_budget, post_decision)
        assert second.status_code == 200, second.text
        status = (await api.client.get(f"/v1/claims/{claim_id}", headers=api.hrss)).json()["status"]
        assert status == "approved", f"decision first: {decision_first}"


async def test_two_claims_of_one_person_side_by_side_are_judged_as_if_one_came_after_the_other(api):
    """Two certificates of the same occupation and level, claimed at once: each claim looked for the
    person's earlier claims before the other committed, and both were accepted (paid twice)."""

    body, provider = await api.body(), await api.provider()
    worker = new_worker()
    await api.lives_in(worker)
    course = await api.course(provider)
    first_number, second_number = [await api.certificate(body, worker, course) for _ in range(2)]

    async def claim_first(session):
        return await service.submit_claim(
            session,
            Principal(subject=worker, role=Role.worker),
            ClaimCreate(certificate_number=first_number, training_district="chengxi"),
        )

    def claim_second():
        return api.client.post(
            "/v1/claims",
            headers=api.as_worker(worker),
            json={"certificate_number": second_number, "training_district": "chengxi"},
        )

    _, second = await kit.while_open(api, claim_first, claim_second)
    assert second.status_code == 422, second.text
    assert second.json()["rule"] == "M13.already_subsidised"
    assert (
        await scalar(api.url, "select count(*) from claims where worker_id = :w and status = 'submitted'", w=worker)
        == 1
    )


async def test_the_claim_that_takes_a_provider_past_its_limit_is_found_when_two_arrive_at_once(api):
    """The provider-rate finding is raised by the one claim whose count is the limit + 1: two claims
    counted side by side each missed the other, neither saw limit + 1, and the finding never came."""

    body, provider = await api.body(), await api.provider()
    course = await api.course(provider)
    limit = get_policy().value("training.suspicious.provider_claims_per_30_days", datetime.now(UTC).date())
    await kit.execute(
        api.url,
        "insert into certificates (number, worker_id, body_id, occupation, level, issued_on, "
        "course_id, created_at) select :c || n, 'w_seed_' || :c || n, :b, 'on_demand_delivery', "
        "5, date '2026-03-25', :course, now() from generate_series(2, :limit) as n",
        c=course,
        b=body,
        course=course,
        limit=limit,
    )
    await kit.execute(
        api.url,
        "insert into claims (id, certificate_number, worker_id, channel, payee, provider_id, "
        "occupation, level, training_district, amount_fen, year, status, submitted_at) "
        "select 'clm_' || number, number, worker_id, 'worker', 'worker', :p, occupation, "
        "level, 'chengxi', 100000, 2026, 'submitted', now() from certificates "
        "where course_id = :course",
        p=provider,
        course=course,
    )  # limit - 1 claims in the window: the next two make it limit + 1
    workers = [new_worker() for _ in range(2)]
    numbers = []
    for worker in workers:
        await api.lives_in(worker)
        numbers.append(await api.certificate(body, worker, course))

    async def claim_first(session):
        return await service.submit_claim(
            session,
            Principal(subject=workers[0], role=Role.worker),
            ClaimCreate(certificate_number=numbers[0], training_district="chengxi"),
        )

    def claim_second():
        return api.client.post(
            "/v1/claims",
            headers=api.as_worker(workers[1]),
            json={"certificate_number": numbers[1], "training_district": "chengxi"},
        )

    _, second = await kit.while_open(api, claim_first, claim_second)
    assert second.status_code == 201, second.text
    assert (
        await scalar(
            api.url,
            "select count(*) from findings where rule = 'M13.provider_claims_unusual' and subject_id = :p",
            p=provider,
        )
        == 1
    )


async def test_a_district_government_sees_its_own_districts_claims_and_budget_only(api):
    body, worker = await api.body(), new_worker()
    await api.lives_in(worker, household_region="630121", residence="datong")
    number = await api.certificate(body, worker)
    r = await api.client.post(
        "/v1/claims", headers=api.as_worker(worker), json={"certificate_number": number, "training_district": "datong"}
    )
    assert r.status_code == 201, r.text
    cid = r.json()["claim_id"]
    await api.client.put("/v1/budgets/datong/2026", headers=api.hrss, json={"total_fen": 100000})
    await api.client.put("/v1/budgets/chengxi/2026", headers=api.hrss, json={"total_fen": 100000})
    datong, chengxi = api.department("county", "datong"), api.department("county", "chengxi")
    assert cid in [
        c["claim_id"]
        for c in (await api.client.get("/v1/claims", headers=datong, params={"limit": 200})).json()["items"]
    ]
    assert cid not in [
        c["claim_id"]
        for c in (await api.client.get("/v1/claims", headers=chengxi, params={"limit": 200})).json()["items"]
    ]
    assert (await api.client.get(f"/v1/claims/{cid}", headers=datong)).status_code == 200
    assert (await api.client.get(f"/v1/claims/{cid}", headers=chengxi)).status_code == 404
    assert {b["district"] for b in (await api.client.get("/v1/budgets", headers=chengxi)).json()} == {"chengxi"}
    refused = await api.client.get("/v1/claims", headers=api.department("county"))
    assert refused.status_code == 403 and "district" in refused.json()["detail"]


async def test_a_course_beyond_its_providers_accreditation_is_refused(api):
    pid = kit.unique_name("prv").replace("_", "-")
    r = await api.client.post(
        "/v1/providers",
        headers=api.hrss,
        json={
            "provider_id": pid,
            "name": "培训机构",
            "kind": "institution",
            "credit_code": kit.credit_code(),
            "district": "chengxi",
            "occupations": ["on_demand_delivery"],
            "accredited_until": "2026-03-10",
        },
    )
    assert r.status_code == 201, r.text
    course = {
        "provider_id": pid,
        "occupation": "on_demand_delivery",
        "level": 5,
        "district": "chengxi",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-20",
    }
    beyond = await api.client.post("/v1/courses", headers=api.hrss, json=course)
    assert beyond.status_code == 422 and beyond.json()["type"].endswith("provider-not-accredited")
    within = await api.client.post("/v1/courses", headers=api.hrss, json={**course, "ends_on": "2026-03-10"})
    assert within.status_code == 201, within.text
