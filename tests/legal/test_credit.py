"""Credit (K-1 … K-6 of cases.md): what becomes a bad-conduct credit record, what a listing on the wage-arrears
list needs, its term and early removal, and the basis each cites — through the public APIs: contracts' engagement
events (as its relay publishes them) feed wages and disputes; wages, disputes and departments publish on Kafka; the
gateway makes the alerts, the lead department (hrss) decides, and the gateway's credit API and signed export answer.

The measures put **related units' arrears** into credit management (宁政办〔2022〕41号 item 6: 关联单位发生违法拖欠
劳动报酬行为的，其不良行为记录…纳入信用管理); a bad-conduct record is not the joint-punishment list, whose listing
needs the conditions of 拖欠农民工工资失信联合惩戒对象名单管理暂行办法 (人力资源社会保障部令第45号)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from newform_common import clock
from newform_common.auth import generate_keypair
from newform_common.kafka import ensure_topics
from newform_common.testing import (
    TEST_PII_SECRET,
    TokenFactory,
    app_client,
    credit_code,
    eventually,
    migrated_database,
    unique_name,
)
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_disputes.config import Settings as DisputesSettings
from newform_disputes.main import create_app as create_disputes_app
from newform_gateway.main import create_app as create_gateway_app
from newform_wages.main import create_app as create_wages_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, prepare_topics
from ..kit.gateway import migrated_database as gateway_database
from ..kit.wages import new_platform, new_worker, statement, wages_settings_for

SHANGHAI = timezone(timedelta(hours=8))
MEASURES = "宁政办〔2022〕41号"
LIST_RULE = "拖欠农民工工资失信联合惩戒对象名单管理暂行办法"


@dataclass(frozen=True)
class Case:
    """One case of cases.md, copied as data: the facts, the law's answer, its source."""

    id: str
    facts: str
    answer: str
    source: str
    data: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "K-1",
        "hrss confirms a finding that a pay period was 32 days",
        "no credit record",
        "the measures item 6 (only arrears go to credit)",
        {"period": ("2025-04-01", "2025-05-02"), "due_date": "2025-05-10"},
    ),
    Case(
        "K-2",
        "a complaint about pay is escalated; hrss confirms the escalation",
        "no credit record",
        "same",
        {"category": "pay", "description": "三月工资未按约定时间发放"},
    ),
    Case(
        "K-3",
        "a related unit's arrears of one month, 3,480, confirmed by hrss",
        "a bad-conduct credit record of the unit (its own credit code), citing the measures; **not** a listing on "
        "the joint-punishment list",
        "the measures item 6; 办法 art. 5",
        {"arrears_fen": 348_000, "period": ("2025-05-01", "2025-05-31"), "due_date": "2025-06-15"},
    ),
    Case(
        "K-4",
        "the same unit ignored a written order to pay by a deadline, and its arrears reach the provincial "
        "threshold for refusal to pay",
        "listed on the wage-arrears list for 3 years, citing the 办法",
        "办法 arts. 5, 13",
        # six months of 3,480 for one worker: 20,880 yuan, at least the top of the national single-worker range
        # (20,000; Qinghai's own figure is not data yet) and at least 3 months (法释〔2013〕3号 art. 3)
        {
            "inspected_on": "2026-09-01",
            "ordered_to_pay_by": "2026-09-15",
            "observed_at": "2026-09-20T10:00:00+08:00",
            "confirmed_amount_fen": 2_088_000,
            "months_unpaid": 6,
            "workers_affected": 1,
            "decided_on": "2026-10-08",
        },
    ),
    Case(
        "K-5",
        "the listed unit paid in full when it was listed; it asks for early removal 5 months after listing, "
        "and again at 7 months",
        "refused at 5 months; removal may be granted at 7 months",
        "办法 (6 months after correction)",
        {
            "inspected_on": "2026-01-20",
            "ordered_to_pay_by": "2026-02-05",
            "observed_at": "2026-02-10T10:00:00+08:00",
            "decided_on": "2026-03-02",
            "at_5_months": "2026-08-02",
            "at_7_months": "2026-10-02",
        },
    ),
    Case(
        "K-6",
        "a listing confirmed on 2027-02-01",
        "its basis cites the source in force that day, never the lapsed measures alone",
        "—",
        {
            "today": datetime(2027, 2, 1, 10, 0, tzinfo=SHANGHAI),
            "inspected_on": "2027-01-05",
            "ordered_to_pay_by": "2027-01-20",
            "observed_at": "2027-01-25T10:00:00+08:00",
            "decided_on": "2027-02-01",
        },
    ),
]
BY_ID = {c.id: c for c in CASES}


@dataclass
class World:
    tokens: TokenFactory
    feed: EventFeed
    wages: httpx.AsyncClient
    disputes: httpx.AsyncClient
    departments: httpx.AsyncClient
    gateway: httpx.AsyncClient

    @property
    def regulator(self) -> dict[str, str]:
        return self.tokens.headers("regulator")

    @property
    def hrss(self) -> dict[str, str]:
        return self.tokens.headers("department", subject="hrss-credit", department="hrss")

    async def related_unit_engagement(self) -> dict[str, str]:
        """A platform, its related unit (paying its own staff: the platform is not entrusted) and a worker's
        signed labour contract with the unit, known to wages."""
        pid, worker, unit, code = new_platform(), new_worker(), "ent_" + new_platform(), credit_code()
        platform = self.tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
        r = await self.wages.post(
            "/v1/related-units",
            headers=platform,
            json={
                "enterprise_id": unit,
                "name": "西宁某某外包服务有限公司",
                "credit_code": code,
                "kind": "outsourcer",
                "platform_entrusted_to_pay": False,
            },
        )
        assert r.status_code == 201, r.text
        contract = await self.feed.signed(
            worker_id=worker, platform_id=pid, enterprise_id=unit, district="chengxi", occupation="courier"
        )

        async def known():
            r = await self.wages.post(
                "/v1/statements",
                headers=platform,
                json=statement(
                    f"probe-{contract}",
                    contract,
                    worker,
                    period_start="2024-01-01",
                    period_end="2024-01-31",
                    due_date="2024-02-10",
                    paid_on="2024-02-08",
                ),
            )
            assert r.status_code == 201, r.text
            return r.json()["status"] == "judged" or None

        await eventually(known, timeout=120)
        return {"platform_id": pid, "worker_id": worker, "unit": unit, "credit_code": code, "contract_id": contract}

    async def statement(self, e: dict[str, str], line_id: str, **line: Any) -> dict[str, Any]:
        headers = self.tokens.headers("platform", subject=f"backend-{e['platform_id']}", platform_id=e["platform_id"])
        r = await self.wages.post(
            "/v1/statements", headers=headers, json=statement(line_id, e["contract_id"], e["worker_id"], **line)
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def alert(self, subject_id: str, rule: str) -> dict[str, Any]:
        async def found():
            items = (
                await self.gateway.get("/v1/alerts", headers=self.regulator, params={"limit": 500, "rule": rule})
            ).json()["items"]
            return next((a for a in items if a["subject_id"] == subject_id and a["rule"] == rule), None)

        return await eventually(found, timeout=90)

    async def confirm(self, alert: dict[str, Any]) -> None:
        r = await self.gateway.post(
            f"/v1/alerts/{alert['alert_id']}/resolve",
            headers=self.hrss,
            json={"outcome": "confirmed", "note": "经核查属实"},
        )
        assert r.status_code == 200, r.text

    async def records_of(self, alert: dict[str, Any]) -> list[dict[str, Any]]:
        items = (await self.gateway.get("/v1/credit-records", headers=self.regulator, params={"limit": 500})).json()[
            "items"
        ]
        return [
            r
            for r in items
            if r["alert_id"] == alert["alert_id"]
            or any(link.get("alert_id") == alert["alert_id"] for link in r["evidence_chain"])
        ]

    async def listings(self, code: str) -> list[dict[str, Any]]:
        r = await self.gateway.get("/v1/credit-listings", headers=self.regulator, params={"credit_code": code})
        assert r.status_code == 200, r.text
        return r.json()

    async def order_to_pay(self, code: str, case: Case, **extra: Any) -> dict[str, Any]:
        """hrss labour inspection records its written order to pay by a deadline, and that it was ignored."""
        d = case.data
        r = await self.departments.post(
            "/v1/inspection-results",
            headers=self.hrss,
            json={
                "reference": f"西人社监令〔{d['inspected_on'][:4]}〕{unique_name('')[-6:]}号",
                "employer_credit_code": code,
                "matter": "arrears",
                "confirmed_amount_fen": d.get("confirmed_amount_fen", 2_088_000),
                "months_unpaid": d.get("months_unpaid", 6),
                "workers_affected": d.get("workers_affected", 1),
                "inspected_on": d["inspected_on"],
                "ordered_to_pay_by": d["ordered_to_pay_by"],
                "order_ignored": True,
                "observed_at": d["observed_at"],
                **extra,
            },
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def decide_listing(self, fact: dict[str, Any], decided_on: str, **extra: Any) -> httpx.Response:
        """hrss's listing decision, once the gateway holds the department's fact (it arrives over Kafka)."""

        async def answered():
            r = await self.gateway.post(
                "/v1/credit-listings",
                headers=self.hrss,
                json={"inspection_fact_id": fact["fact_id"], "decided_on": decided_on, **extra},
            )
            return None if r.status_code == 404 else r

        return await eventually(answered, timeout=90)

    async def exported(self, day: date) -> list[dict[str, Any]]:
        r = await self.gateway.get(
            "/v1/credit-exports", headers=self.regulator, params={"from": day.isoformat(), "to": day.isoformat()}
        )
        assert r.status_code == 200, r.text
        return [json.loads(x) for x in r.json()["files"][0]["content"].splitlines()]


@pytest.fixture(scope="module")
async def w(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("lk").replace("_", "")
    await prepare_topics(
        kafka.bootstrap_servers, prefix, services=("contracts", "wages", "disputes", "departments", "gateway")
    )
    contracts_topic = f"{prefix}-contracts.events"
    wages_settings = wages_settings_for(
        prefix, await migrated_database(new_database, "wages"), kafka.bootstrap_servers, tokens.public_pem
    )
    disputes_settings = DisputesSettings(
        service_name=f"{prefix}-disputes",
        database_url=await migrated_database(new_database, "disputes"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        contracts_topic=contracts_topic,
        consumer_group_prefix=f"{prefix}-disputes",
    )
    departments_settings = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=await migrated_database(new_database, "departments"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=3600,
        contracts_topic=contracts_topic,
        pii_secret=TEST_PII_SECRET,
    )
    await ensure_topics(kafka.bootstrap_servers, [contracts_topic])
    private_pem, _ = generate_keypair()
    settings = gateway_settings(
        prefix,
        await gateway_database(new_database),
        kafka.bootstrap_servers,
        tokens.public_pem,
        credit_export_signing_key=private_pem,
    )
    wages_app = create_wages_app(wages_settings)
    async with (
        app_client(wages_app) as wages,
        app_client(create_disputes_app(disputes_settings)) as disputes,
        app_client(create_departments_app(departments_settings)) as departments,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await asyncio.wait_for(wages_app.state.consumers[0].started.wait(), timeout=120)
        yield World(
            tokens,
            EventFeed(kafka.bootstrap_servers, topics={"contracts": contracts_topic}),
            wages,
            disputes,
            departments,
            gateway,
        )


async def test_K_1_a_32_day_pay_period_confirmed_by_hrss_is_no_credit_record(w):
    case = BY_ID["K-1"]
    e = await w.related_unit_engagement()  # even a related unit's: only arrears go to credit
    start, end = case.data["period"]
    judged = await w.statement(
        e,
        "k1-32days",
        period_start=start,
        period_end=end,
        due_date=case.data["due_date"],
        paid_on=case.data["due_date"],
    )
    assert "M6.max_pay_period" in {f["rule"] for f in judged["findings"]}
    alert = await w.alert(judged["statement_id"], "M6.max_pay_period")
    await w.confirm(alert)
    assert await w.records_of(alert) == []
    assert await w.listings(e["credit_code"]) == []


async def test_K_2_an_escalated_pay_complaint_confirmed_by_hrss_is_no_credit_record(w):
    case = BY_ID["K-2"]
    e = await w.related_unit_engagement()
    worker = w.tokens.headers("worker", subject=e["worker_id"])

    async def filed():
        r = await w.disputes.post(
            "/v1/complaints",
            headers=worker,
            json={
                "category": case.data["category"],
                "description": case.data["description"],
                "contract_id": e["contract_id"],
            },
        )
        return r if r.status_code == 201 else None  # disputes knows the engagement once its events arrived

    complaint = (await eventually(filed, timeout=90)).json()["complaint_id"]
    r = await w.disputes.post(f"/v1/complaints/{complaint}/escalation", headers=worker, json={"to": "department"})
    assert r.status_code == 200, r.text
    alert = await w.alert(complaint, "M6.complaint_escalated")
    await w.confirm(alert)
    assert await w.records_of(alert) == []


async def test_K_3_a_related_units_confirmed_arrears_is_a_record_of_the_unit_not_a_listing(w):
    case = BY_ID["K-3"]
    e = await w.related_unit_engagement()
    start, end = case.data["period"]
    judged = await w.statement(
        e,
        "k3-may",
        period_start=start,
        period_end=end,
        due_date=case.data["due_date"],
        gross_fen=case.data["arrears_fen"],
        base_fen=case.data["arrears_fen"],
        paid_fen=0,
        paid_on=None,
    )
    assert "M6.wage_arrears" in {f["rule"] for f in judged["findings"]}
    alert = await w.alert(judged["statement_id"], "M6.wage_arrears")
    await w.confirm(alert)
    [record] = await w.records_of(alert)
    # the unit's own credit code and name — not the platform's, which the export once fell back to
    assert (record["subject_credit_code"], record["subject_name"], record["held"]) == (
        e["credit_code"],
        "西宁某某外包服务有限公司",
        False,
    )
    assert record["basis"]["document"] == MEASURES and "item 6" in record["basis"]["sources"][0]
    # a record, not a listing: nothing on the wage-arrears list, no 3-year term in the export
    assert await w.listings(e["credit_code"]) == []
    decided = datetime.fromisoformat(record["confirmed_at"]).astimezone(SHANGHAI).date()
    [line] = [x for x in await w.exported(decided) if x["listing_record_id"] == record["record_id"]]
    assert (line["record_type"], line["entry_type"], line["valid_until"], line["subject_credit_code"]) == (
        "record",
        "record",
        None,
        e["credit_code"],
    )
    # and the record alone lists nobody: a listing needs the department's order to pay, ignored
    r = await w.gateway.post(
        "/v1/credit-listings",
        headers=w.hrss,
        json={"inspection_fact_id": "fact_none", "decided_on": decided.isoformat()},
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_K_4_an_ignored_order_to_pay_and_the_threshold_list_the_unit_for_3_years_citing_the_list_rule(w):
    case = BY_ID["K-4"]
    code = credit_code()
    # the order alone, not recorded as ignored, lists nobody
    pending = await w.order_to_pay(code, case, order_ignored=False)
    refused = await w.decide_listing(pending, case.data["decided_on"])
    assert refused.status_code == 422 and refused.json()["type"].endswith("listing-conditions-not-met")
    # another department cannot list; hrss lists on its ignored order with the threshold reached
    fact = await w.order_to_pay(code, case)
    other = await w.gateway.post(
        "/v1/credit-listings",
        headers=w.tokens.headers("department", department="market"),
        json={"inspection_fact_id": fact["fact_id"], "decided_on": case.data["decided_on"]},
    )
    assert other.status_code == 403
    r = await w.decide_listing(fact, case.data["decided_on"], note="逾期未支付，达到拒不支付劳动报酬数额标准")
    assert r.status_code == 201, r.text
    listing = r.json()
    assert (listing["subject_credit_code"], listing["condition"], listing["decided_on"], listing["valid_until"]) == (
        code,
        "ignored_payment_order_and_refusal_threshold_reached",
        "2026-10-08",
        "2029-10-07",
    )  # 3 years
    assert listing["order_reference"] == listing["basis"]["order"]["reference"] == fact["reference"]
    assert listing["basis"]["document"].startswith(LIST_RULE) and "art. 5" in listing["basis"]["sources"][0]
    again = await w.gateway.post(
        "/v1/credit-listings",
        headers=w.hrss,
        json={"inspection_fact_id": fact["fact_id"], "decided_on": case.data["decided_on"]},
    )
    assert again.status_code == 409
    # exported as a listing with its 3-year term, on the day it was entered
    [line] = [x for x in await w.exported(clock.today()) if x["listing_record_id"] == listing["listing_id"]]
    assert (line["entry_type"], line["record_type"], line["valid_until"]) == ("listing", "listing", "2029-10-07")


async def test_K_5_early_removal_is_refused_at_5_months_and_may_be_granted_at_7(w):
    case = BY_ID["K-5"]
    code = credit_code()
    fact = await w.order_to_pay(code, case)
    r = await w.decide_listing(fact, case.data["decided_on"])
    assert r.status_code == 201, r.text
    path = f"/v1/credit-listings/{r.json()['listing_id']}/early-removal"
    ask = {
        "corrected_on": case.data["decided_on"],
        "credit_commitment": True,
        "reason": "已足额支付拖欠工资并作出信用承诺",
    }
    five = await w.gateway.post(path, headers=w.hrss, json={**ask, "requested_on": case.data["at_5_months"]})
    assert five.status_code == 422 and five.json()["type"].endswith("removal-too-early")
    assert "2026-09-02" in five.json()["detail"]  # six months after the correction
    seven = await w.gateway.post(path, headers=w.hrss, json={**ask, "requested_on": case.data["at_7_months"]})
    assert seven.status_code == 200, seven.text
    assert (seven.json()["end_kind"], seven.json()["ended_on"]) == ("removal", case.data["at_7_months"])
    [line] = [
        x
        for x in await w.exported(clock.today())
        if x["listing_record_id"] == r.json()["listing_id"] and x["record_type"] == "removal"
    ]
    assert (line["ended_on"], line["corrected_on"]) == (case.data["at_7_months"], case.data["decided_on"])


async def test_K_6_a_listing_confirmed_on_2027_02_01_cites_the_source_in_force_that_day(w):
    case = BY_ID["K-6"]
    code = credit_code()
    with clock.frozen_at(case.data["today"]):  # the measures lapsed on 2026-12-21
        fact = await w.order_to_pay(code, case)
        r = await w.decide_listing(fact, case.data["decided_on"])
        assert r.status_code == 201, r.text
        basis = r.json()["basis"]
        assert basis["document"].startswith(LIST_RULE) and basis["decided_on"] == "2027-02-01"
        assert basis["sources"] and not any(MEASURES in s for s in basis["sources"])
        [line] = [x for x in await w.exported(date(2027, 2, 1)) if x["listing_record_id"] == r.json()["listing_id"]]
        assert line["basis"]["document"].startswith(LIST_RULE)
        assert not any(MEASURES in s for s in line["basis"]["sources"])


def test_every_k_case_of_cases_md_is_here():
    assert [c.id for c in CASES] == ["K-1", "K-2", "K-3", "K-4", "K-5", "K-6"]
