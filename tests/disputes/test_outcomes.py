"""Awards and judgments the departments record settle the disputes case they name (M18): the real
departments service publishes `departments.case_outcome.recorded.v1` through Kafka, disputes reads it.
Real PostgreSQL and Kafka."""

from __future__ import annotations

import secrets
from datetime import date

import pytest

from newform_common import clock
from newform_common.kafka import ensure_topics
from newform_common.testing import (
    TEST_PII_SECRET,
    eventually,
    fetch,
    migrated_database,
    resident_id,
    running_service,
    unique_name,
    worker_id_of,
)
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments
from newform_disputes.config import Settings
from newform_disputes.main import create_app

from .test_cases import at
from .test_cases import clock as clock_of


@pytest.fixture(scope="module")
async def services(new_database, kafka, tokens):
    prefix = unique_name("dso").replace("_", "")
    topics = {s: f"{prefix}-{s}.events" for s in ("contracts", "departments", "disputes")}
    await ensure_topics(kafka.bootstrap_servers, list(topics.values()))
    common = dict(
        kafka_bootstrap_servers=kafka.bootstrap_servers, jwt_public_key=tokens.public_pem, relay_poll_interval_s=0.2
    )
    disputes = Settings(
        service_name=f"{prefix}-disputes",
        database_url=await migrated_database(new_database, "disputes"),
        run_deadlines=False,
        contracts_topic=topics["contracts"],
        departments_topic=topics["departments"],
        consumer_group_prefix=f"{prefix}-disputes",
        **common,
    )
    departments = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=await migrated_database(new_database, "departments"),
        contracts_topic=topics["contracts"],
        pii_secret=TEST_PII_SECRET,
        **common,
    )
    async with (
        running_service(create_app, disputes, tokens) as d,
        running_service(create_departments, departments, tokens) as dep,
    ):
        yield d, dep


async def arbitration(api, id_number: str, *, accepted_on: str | None = "2025-08-05") -> dict:
    worker = worker_id_of(id_number)
    with clock.frozen_at(at(date(2025, 8, 5))):
        r = await api.client.post(
            "/v1/cases",
            headers=api.as_worker(worker),
            json={
                "category": "pay",
                "platform_id": "p" + secrets.token_hex(4),
                "claims": [{"item": "拖欠工资", "amount_fen": 1_200_000}],
                "arbitration": {"received_on": "2025-08-01", "knew_of_breach_on": "2025-07-01"},
            },
        )
        assert r.status_code == 201, r.text
        if accepted_on:
            r = await api.client.post(
                f"/v1/cases/{r.json()['case_id']}/arbitration/acceptance",
                headers=api.department("hrss"),
                json={"accepted_on": accepted_on},
            )
            assert r.status_code == 200, r.text
    return r.json()


async def outcome(dep, department: str, **body) -> dict:
    r = await dep.client.post("/v1/case-outcomes", headers=dep.department(department), json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_an_award_recorded_by_hrss_settles_the_case_with_its_reference(services):
    api, dep = services
    number = resident_id()
    case = await arbitration(api, number)
    reference = "宁劳人仲案字〔2025〕" + secrets.token_hex(3)
    await outcome(
        dep,
        "hrss",
        reference=reference,
        forum="arbitration",
        dispute_id=case["case_id"],
        id_number=number,
        outcome="partly_upheld",
        awarded_fen=800_000,
        filed_on="2025-08-01",
        decided_on="2025-09-10",
    )

    async def settled():
        seen = (await api.client.get(f"/v1/cases/{case['case_id']}", headers=api.regulator)).json()
        return seen if seen["stage"] == "awarded" else None

    seen = await eventually(settled, timeout=30)
    assert seen["decision_reference"] == reference and seen["decision_forum"] == "arbitration"
    assert seen["awarded_on"] == "2025-09-10" and seen["award_amount_fen"] == 800_000
    assert seen["award_final"] is None and seen["award_items"] is None  # one amount states no items (art. 47)
    assert clock_of(seen, "arbitration_award")["status"] == "cancelled"  # in time: no finding
    assert seen["findings"] == []
    events = await fetch(
        api.url,
        "select data from outbox where key = :k and type = :t",
        k=case["case_id"],
        t="disputes.case.stage_changed.v2",
    )
    assert events[-1]["data"]["reason"] == "arbitration_outcome_recorded"

    # The court's judgment later (the employer sued): the case is judged, with the judgment's number.
    judgment = "（2025）青0104民初" + secrets.token_hex(3)
    await outcome(
        dep,
        "court",
        reference=judgment,
        forum="court",
        dispute_id=case["case_id"],
        id_number=number,
        outcome="upheld",
        awarded_fen=800_000,
        decided_on="2025-11-20",
    )

    async def judged():
        seen = (await api.client.get(f"/v1/cases/{case['case_id']}", headers=api.regulator)).json()
        return seen if seen["stage"] == "judged" else None

    seen = await eventually(judged, timeout=30)
    assert seen["decision_reference"] == judgment and seen["decided_on"] == "2025-11-20"


async def test_a_late_award_shows_the_committees_lateness_and_another_workers_reference_settles_nothing(services):
    api, dep = services
    number = resident_id()
    late = await arbitration(api, number)
    other = await arbitration(api, resident_id())
    # A statement naming someone else's case (the worker differs) is not applied to it. (Published first,
    # about the same worker: read in order before the next one.)
    await outcome(
        dep,
        "hrss",
        reference="XN-ARB-" + secrets.token_hex(3),
        forum="arbitration",
        dispute_id=other["case_id"],
        id_number=number,
        outcome="dismissed",
        decided_on="2025-10-20",
    )
    # 45 days from 2025-08-05 end on 2025-09-19; the award came on 2025-10-20.
    await outcome(
        dep,
        "hrss",
        reference="XN-ARB-" + secrets.token_hex(3),
        forum="arbitration",
        dispute_id=late["case_id"],
        id_number=number,
        outcome="upheld",
        awarded_fen=500_000,
        decided_on="2025-10-20",
    )

    async def awarded():
        seen = (await api.client.get(f"/v1/cases/{late['case_id']}", headers=api.regulator)).json()
        return seen if seen["stage"] == "awarded" else None

    seen = await eventually(awarded, timeout=30)
    assert [f["rule"] for f in seen["findings"]] == ["M18.award_overdue"]
    assert clock_of(seen, "arbitration_award")["status"] == "fired"
    untouched = (await api.client.get(f"/v1/cases/{other['case_id']}", headers=api.regulator)).json()
    assert untouched["stage"] == "arbitration_accepted" and untouched["decision_reference"] is None
