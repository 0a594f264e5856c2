"""The departments service per department role, against real PostgreSQL and Kafka."""

from __future__ import annotations

import json

from newform_common import testing as kit
from newform_common.events import Envelope
from newform_common.testing import eventually, read_topic, scalar

BAD_CREDIT_CODE = "91630100MA7XYZ0013"  # check digit wrong


def enrolment(**overrides) -> dict:
    return {
        "reference": kit.unique_name("YB"),
        "id_number": kit.resident_id(),
        "insurance_type": "work_injury",
        "status": "not_enrolled",
        "observed_at": "2026-06-01T09:00:00+08:00",
        **overrides,
    }


def licence(**overrides) -> dict:
    return {
        "reference": kit.unique_name("LWPQ"),
        "holder_credit_code": kit.credit_code(),
        "holder_name": "某劳务派遣公司",
        "valid_from": "2024-01-01",
        "valid_until": "2027-01-01",
        **overrides,
    }


async def test_the_service_is_ready_and_reads_need_a_token(api):
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    assert (await api.client.get("/v1/facts")).status_code == 401


async def test_medins_states_an_enrolment_once_and_the_same_statement_again_changes_nothing(api):
    fact = enrolment()
    first = await api.post("/v1/insurance-enrolments", "medins", fact)
    assert first.status_code == 201, first.text
    body = first.json()
    worker = kit.worker_id_of(fact["id_number"])
    assert (body["status"], body["version"], body["department"], body["worker_id"]) == ("created", 1, "medins", worker)
    assert "id_number" not in json.dumps(body) and fact["id_number"] not in json.dumps(body)
    again = await api.post("/v1/insurance-enrolments", "medins", fact)
    assert again.json()["status"] == "unchanged" and again.json()["fact_id"] == body["fact_id"]
    corrected = await api.post(
        "/v1/insurance-enrolments", "medins", {**fact, "status": "enrolled", "start_date": "2026-06-02"}
    )
    assert corrected.json()["status"] == "updated" and corrected.json()["version"] == 2
    # An Idempotency-Key retry replays the first answer.
    key = {"Idempotency-Key": kit.unique_name("k")}
    other = enrolment()
    r1 = await api.post("/v1/insurance-enrolments", "hrss", other, **key)
    r2 = await api.post("/v1/insurance-enrolments", "hrss", other, **key)
    assert r2.headers["Idempotent-Replayed"] == "true" and r2.json() == r1.json()

    # Two statements published (created, updated); the unchanged one published nothing.
    async def published():
        records = await read_topic(api.settings.kafka_bootstrap_servers, api.settings.topic, expect=3, timeout=5)
        envelopes = [Envelope.from_kafka(m.key, m.value, m.headers) for m in records]
        found = [e for e in envelopes if e.data["fact_id"] == body["fact_id"]]
        return found if len(found) == 2 else None

    mine = await eventually(published)
    assert [e.data["version"] for e in mine] == [1, 2]
    assert mine[0].type == "departments.insurance_enrolment.recorded.v1" and mine[0].key == worker
    assert mine[0].data["status"] == "not_enrolled" and mine[1].data["status"] == "enrolled"
    assert await scalar(api.url, "select count(*) from facts where reference = :r", r=fact["reference"]) == 1


async def test_each_department_writes_only_what_it_holds(api):
    refused = [
        await api.post("/v1/insurance-enrolments", "medins", enrolment(insurance_type="pension")),
        await api.post("/v1/insurance-enrolments", "hrss", enrolment(insurance_type="medical")),
        await api.post("/v1/dispatch-licences", "market", licence()),
        await api.post(
            "/v1/enterprise-records",
            "hrss",
            {
                "reference": "SC-1",
                "credit_code": kit.credit_code(),
                "name": "x",
                "registration_status": "active",
                "qualified": True,
            },
        ),
        await api.post(
            "/v1/case-outcomes",
            "court",
            {"reference": "XN-ARB-1", "forum": "arbitration", "outcome": "upheld", "decided_on": "2026-05-01"},
        ),
        await api.post(
            "/v1/case-outcomes",
            "hrss",
            {"reference": "XN-CT-1", "forum": "court", "outcome": "upheld", "decided_on": "2026-05-01"},
        ),
        await api.post(
            "/v1/inspection-results",
            "medins",
            {
                "reference": "JC-1",
                "employer_credit_code": kit.credit_code(),
                "matter": "arrears",
                "inspected_on": "2026-05-01",
            },
        ),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    assert refused[0].json()["type"].endswith("outside-department-scope") and "hrss" in refused[0].json()["detail"]
    platform = await api.client.post("/v1/dispatch-licences", headers=api.as_platform("p1"), json=licence())
    assert platform.status_code == 403
    assert (
        await scalar(api.url, "select count(*) from facts where reference in ('SC-1', 'XN-ARB-1', 'XN-CT-1', 'JC-1')")
        == 0
    )


async def test_each_holder_states_its_own_kind(api):
    code = kit.credit_code()
    written = [
        await api.post(
            "/v1/dispatch-licences",
            "hrss",
            licence(holder_credit_code=code, revoked_on="2026-07-01", revocation_reason="违规经营"),
        ),
        await api.post(
            "/v1/enterprise-records",
            "market",
            {
                "reference": kit.unique_name("SC"),
                "credit_code": code,
                "name": "某劳务派遣公司",
                "registration_status": "abnormal",
                "qualified": False,
                "qualification": "劳务派遣",
            },
        ),
        await api.post(
            "/v1/inspection-results",
            "hrss",
            {
                "reference": kit.unique_name("JC"),
                "employer_credit_code": code,
                "matter": "arrears",
                "id_number": kit.resident_id(),
                "confirmed_amount_fen": 350000,
                "inspected_on": "2026-05-10",
                "ordered_to_pay_by": "2026-05-25",
            },
        ),
        await api.post(
            "/v1/case-outcomes",
            "hrss",
            {
                "reference": kit.unique_name("XN-ARB"),
                "forum": "arbitration",
                "employer_credit_code": code,
                "outcome": "partly_upheld",
                "awarded_fen": 120000,
                "filed_on": "2026-03-01",
                "decided_on": "2026-04-10",
            },
        ),
        await api.post(
            "/v1/case-outcomes",
            "court",
            {
                "reference": kit.unique_name("XN-CT"),
                "forum": "court",
                "employer_credit_code": code,
                "outcome": "dismissed",
                "decided_on": "2026-06-10",
            },
        ),
    ]
    assert [r.status_code for r in written] == [201] * 5, [r.text for r in written]
    lic = written[0].json()
    # A licence revoked on 1 July is valid until 30 June.
    assert lic["valid_until"] == "2026-06-30" and lic["fields"]["revoked_on"] == "2026-07-01"
    listed = await api.client.get(
        "/v1/facts", params={"credit_code": code}, headers=api.reading(api.department("union"))
    )
    assert sorted(f["kind"] for f in listed.json()["items"]) == sorted(
        ["dispatch_licence", "enterprise_record", "inspection_result", "case_outcome", "case_outcome"]
    )


async def test_bad_input_is_a_clear_problem_and_nothing_is_half_stored(api):
    bad_code = await api.post("/v1/dispatch-licences", "hrss", licence(holder_credit_code=BAD_CREDIT_CODE))
    assert bad_code.status_code == 422 and bad_code.json()["type"].endswith("invalid-identifier")
    assert bad_code.json()["errors"][0]["loc"] == ["body", "holder_credit_code"]
    backwards = await api.post(
        "/v1/dispatch-licences", "hrss", licence(valid_from="2026-01-01", valid_until="2025-12-31")
    )
    assert backwards.status_code == 422 and backwards.json()["type"].endswith("invalid-date-range")
    assert "valid_until" in backwards.json()["detail"]
    bad_id = await api.post("/v1/insurance-enrolments", "medins", enrolment(id_number="630102199001011230"))
    assert bad_id.status_code == 422
    unknown_field = await api.post("/v1/insurance-enrolments", "medins", enrolment(declared_by="platform"))
    assert unknown_field.status_code == 422
    assert (
        await scalar(
            api.url,
            "select count(*) from facts where department = 'hrss' and kind = 'dispatch_licence' and credit_code = :c",
            c=BAD_CREDIT_CODE,
        )
        == 0
    )


async def test_a_batch_keeps_good_lines_and_gives_each_bad_line_its_error(api):
    good = [enrolment(), enrolment(insurance_type="medical", status="enrolled", start_date="2025-01-01")]
    batch = {
        "items": [
            good[0],
            enrolment(insurance_type="pension"),
            enrolment(id_number="123"),
            enrolment(start_date="2026-02-01", end_date="2026-01-01"),
            good[1],
            good[0],
        ]
    }
    r = await api.post("/v1/insurance-enrolments/batches", "medins", batch)
    assert r.status_code == 201, r.text
    result = r.json()
    assert (result["lines"], result["created"], result["rejected"]) == (6, 2, 4)
    assert [(e["line"], e["type"]) for e in result["errors"]] == [
        (2, "outside-department-scope"),
        (3, "invalid-identifier"),
        (4, "invalid-date-range"),
        (6, "duplicate-line"),
    ]
    assert [a["line"] for a in result["accepted"]] == [1, 5]
    again = await api.post("/v1/insurance-enrolments/batches", "medins", {"items": good})
    assert again.json()["unchanged"] == 2 and again.json()["created"] == 0


async def test_a_fact_for_an_unknown_worker_is_kept_and_linked_when_the_worker_registers(api):
    fact = enrolment()
    r = await api.post("/v1/insurance-enrolments", "medins", fact)
    assert r.json()["linked"] is False
    worker = kit.worker_id_of(fact["id_number"])
    from aiokafka import AIOKafkaProducer

    from newform_contracts.events import WorkerRegistered  # the producer's own event model

    envelope = Envelope.of(
        WorkerRegistered(
            worker_id=worker,
            registration_id="reg_1",
            platform_id="p1",
            occupation="on_demand_delivery",
            residence_district="chengxi",
            household_registration_region="630102",
            registered_at="2026-06-05T09:00:00+08:00",
        ),
        source="/newform/contracts",
    )
    producer = AIOKafkaProducer(bootstrap_servers=api.settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            api.contracts_topic, envelope.kafka_value(), key=envelope.key.encode(), headers=envelope.kafka_headers()
        )
    finally:
        await producer.stop()

    async def linked():
        got = await api.client.get(f"/v1/facts/{r.json()['fact_id']}", headers=api.reading(api.regulator))
        return got.json()["linked"]

    await eventually(linked)


async def test_every_write_and_read_is_audited_and_only_oversight_sees_the_audit(api):
    fact = enrolment()
    written = await api.post("/v1/insurance-enrolments", "medins", fact)
    worker = written.json()["worker_id"]
    no_purpose = await api.client.get("/v1/facts", params={"worker_id": worker}, headers=api.department("hrss"))
    assert no_purpose.status_code == 400 and no_purpose.json()["type"].endswith("purpose-required")
    read = await api.client.get(
        "/v1/facts", params={"worker_id": worker}, headers=api.reading(api.department("hrss"), "工伤认定")
    )
    assert [f["fact_id"] for f in read.json()["items"]] == [written.json()["fact_id"]]
    assert (await api.client.get("/v1/audit", headers=api.department("hrss"))).status_code == 403
    entries = []
    cursor = None
    while True:
        page = (
            await api.client.get(
                "/v1/audit", headers=api.regulator, params={"limit": 200, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        entries += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    wrote = [e for e in entries if e["action"] == "write" and written.json()["fact_id"] in e["what"]]
    assert [(e["role"], e["department"], e["principal"].startswith("department:medins")) for e in wrote] == [
        ("department", "medins", True)
    ]
    reads = [e for e in entries if e["action"] == "read" and worker in e["what"]]
    assert [(e["department"], e["purpose"]) for e in reads] == [("hrss", "工伤认定")]


async def test_a_district_governments_read_is_audited_as_that_district(api):
    read = await api.client.get(
        "/v1/facts",
        params={"kind": "dispatch_licence"},
        headers=api.reading(api.department("county", "datong"), "核查派遣单位"),
    )
    assert read.status_code == 200, read.text
    page = (
        await api.client.get(
            "/v1/audit", headers=api.regulator, params={"department": "county:datong", "action": "read"}
        )
    ).json()
    assert [e["purpose"] for e in page["items"]] == ["核查派遣单位"]


async def test_a_batch_beyond_the_limit_is_refused_whole(api):
    from newform_departments.schemas import MAX_BATCH_ITEMS

    r = await api.post("/v1/case-outcomes/batches", "court", {"items": [{}] * (MAX_BATCH_ITEMS + 1)})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


async def test_a_fact_stored_while_its_worker_registers_is_linked_whichever_commits_first(api):
    """The intake (finds no such worker: keeps the fact unlinked) and the consumer (records the worker,
    links the facts kept for it) side by side: before the subject lock, each missed the other's
    uncommitted row and the fact stayed unlinked for good (a fresh-clone CI run found it)."""
    from newform_common.db import Database
    from newform_departments import handlers, service
    from newform_departments.router import pii_of
    from newform_departments.schemas import InsuranceEnrolmentIn

    db = Database(api.url, service=api.settings.service_name)
    pii = pii_of(api.settings.pii_secret)

    async def in_transaction(function, *args):
        async with db.transaction() as session:
            return await function(session, *args)

    try:
        for consumer_first in (False, True):
            fact = enrolment()
            worker = kit.worker_id_of(fact["id_number"])
            registered = Envelope.of(_worker_registered(worker), source="/newform/contracts")
            prepared = service.prepare("insurance_enrolment", "medins", InsuranceEnrolmentIn(**fact), pii)

            async def registers(session, registered=registered):
                return await handlers.on_contracts_events(session, [registered])

            async def stores(session, prepared=prepared):
                return await service.store(session, pii, prepared)

            if consumer_first:
                await kit.while_open(api, registers, lambda: in_transaction(stores))
            else:
                await kit.while_open(api, stores, lambda: in_transaction(registers))
            linked = await scalar(
                api.url,
                "select linked_at is not null from facts where reference = :reference",
                reference=fact["reference"],
            )
            assert linked is True, f"consumer first: {consumer_first}"
    finally:
        await db.dispose()


def _worker_registered(worker_id: str):
    from newform_contracts.events import WorkerRegistered  # the producer's own event model

    return WorkerRegistered(
        worker_id=worker_id,
        registration_id="reg_1",
        platform_id="p1",
        occupation="on_demand_delivery",
        residence_district="chengxi",
        household_registration_region="630102",
        registered_at="2026-06-05T09:00:00+08:00",
    )


async def test_a_fact_corrected_while_its_worker_registers_does_not_deadlock_with_the_consumer(api, monkeypatch):
    """The consumer locks the worker, then the rows of the facts kept unlinked for them. The intake locked
    the fact's row, then the worker: paused between the two while the consumer ran, each waited for the
    other, and PostgreSQL aborted one (a 500 to the department, or a consumer retry)."""
    import asyncio

    from newform_common.db import Database
    from newform_departments import handlers, repository

    fact = enrolment()
    worker = kit.worker_id_of(fact["id_number"])
    assert (await api.post("/v1/insurance-enrolments", "medins", fact)).status_code == 201  # kept unlinked
    reached, go = asyncio.Event(), asyncio.Event()
    known_subjects = repository.known_subjects

    async def known_subjects_after_a_pause(*args):
        reached.set()
        await go.wait()
        return await known_subjects(*args)

    monkeypatch.setattr(repository, "known_subjects", known_subjects_after_a_pause)
    correction = asyncio.create_task(
        api.post("/v1/insurance-enrolments", "medins", {**fact, "status": "enrolled", "start_date": "2026-06-02"})
    )
    await asyncio.wait_for(reached.wait(), 10)
    db = Database(api.url, service=api.settings.service_name)

    async def registers():
        async with db.transaction() as session:
            await handlers.on_contracts_events(
                session, [Envelope.of(_worker_registered(worker), source="/newform/contracts")]
            )

    registering = asyncio.create_task(registers())
    try:
        await asyncio.sleep(0.5)  # the consumer runs as far as it can while the intake is paused
        go.set()
        corrected, registered = await asyncio.wait_for(
            asyncio.gather(correction, registering, return_exceptions=True), 20
        )
    finally:
        await db.dispose()
    assert registered is None, registered
    assert corrected.status_code < 300 and corrected.json()["status"] == "updated", corrected.text
    assert (
        await scalar(
            api.url, "select linked_at is not null from facts where reference = :reference", reference=fact["reference"]
        )
        is True
    )
