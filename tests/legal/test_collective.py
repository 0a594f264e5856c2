"""Collective contracts bind individual pay (劳动合同法 art. 55; the measures items 6, 7, 17): the cases below,
facts in and the law's answer out, through contracts' and wages' public APIs, with the collective contract
published on the unions topic, the contract carried from contracts to wages by contracts.events.

The shared oracle (`shared/legal/cases.md`) has no collective-contract cases yet, so the cases are data
here, each citing its source; `test_catalogue.py` counts only the oracle's ids (CC is not among them)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from newform_common.identity import make_resident_id
from newform_common.kafka import ensure_topics
from newform_common.policy import BUSINESS_TZ
from newform_common.testing import TokenFactory, app_client, eventually, fetch, scalar, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_contracts.main import create_app as create_contracts_app
from newform_departments.events import WeatherWarningIssued
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from ..kit.collective import collective_ended, collective_in_force, piece_rate
from ..kit.contracts import AGREEMENT_FACTS, LABOR_FACTS
from ..kit.feed import EventFeed
from ..kit.gateway import prepare_topics
from ..kit.stack import contracts_settings_for
from .wages_support import WagesWorld, wait_started

ART_55 = "劳动合同法 art. 55: 用人单位与劳动者订立的劳动合同中劳动报酬和劳动条件等标准不得低于集体合同规定的标准"
ITEM_6 = "宁政办〔2022〕41号 item 6: 协议未约定的，按照集体合同规定的标准 (a work agreement silent on pay)"


@dataclass(frozen=True)
class CollectiveCase:
    id: str
    facts: str
    answer: str
    source: str


CASES = {
    c.id: c
    for c in (
        CollectiveCase(
            "CC-1",
            "A collective contract in force agrees at least 4.50 yuan a meal order for food delivery on the "
            "platform; the platform drafts a labour contract paying 4.00 a meal order.",
            "Finding M6.collective_standard_undercut on the contract (raised when it is sent), naming the "
            "collective contract, the order type, 4.00 and 4.50.",
            ART_55,
        ),
        CollectiveCase(
            "CC-2",
            "The same collective contract; a work agreement silent on piece rates; its March statement pays "
            "800 orders 3,360 yuan (4.20 an order on average).",
            "No finding on the agreement (silence takes the collective standard); a finding "
            "M6.collective_piece_rate_below on the statement: 4.20 below the agreed 4.50.",
            f"{ITEM_6}; {ART_55}",
        ),
        CollectiveCase(
            "CC-3",
            "The same, the statement paying 800 orders 3,600 yuan (4.50 an order, the agreed rate).",
            "No finding: pay at the collective standard is lawful.",
            ART_55,
        ),
        CollectiveCase(
            "CC-5",
            "A collective contract in force agrees a bad-weather allowance of 30 yuan a day; the worker's sessions "
            "fall on two days inside a red snow warning of the engagement's district (10 and 11 March); the March "
            "statement pays a bad-weather allowance of 30 yuan, another of 60 yuan.",
            "30 yuan: finding M7.collective_bad_weather_allowance_below on the statement, naming the collective "
            "contract, the two days and 60 yuan owed; 60 yuan: no finding.",
            f"{ART_55}; 宁政办〔2022〕41号 item 7: 恶劣天气…通过集体协商…给予补贴",
        ),
        CollectiveCase(
            "CC-4",
            "The collective contract is terminated from 1 March; a statement for March pays 4.20 an order, "
            "one for February the same.",
            "February is judged under the collective contract (a finding), March is not (no contract binds it).",
            "劳动合同法 art. 55; 集体合同规定 (劳动和社会保障部令第22号) art. 38 (期满或约定的终止条件出现即行终止)",
        ),
    )
}


@dataclass
class CollectiveWorld:
    world: WagesWorld
    feed: EventFeed
    contracts_url: str

    async def known(self, cc_id: str, *, ended: bool = False) -> None:
        for url in (self.contracts_url, self.world.wages_url):

            async def stored(url: str = url) -> bool:
                rows = await fetch(
                    url, "select ended_on from collective_contracts where collective_contract_id = :c", c=cc_id
                )
                return bool(rows) and (rows[0]["ended_on"] is not None) == ended

            await eventually(stored, timeout=60)

    async def contract(self, pid: str, engagement_type: str, terms: dict[str, Any]) -> dict[str, Any]:
        """A worker of the platform and a contract drafted with these terms, sent and signed; wages knows it."""
        world, h = self.world, self.world.platform_headers(pid)
        r = await world.contracts.post(
            "/v1/workers",
            headers=h,
            json={
                "name": "王五",
                "id_number": make_resident_id("630102", date(1992, 6, 1), f"{secrets.randbelow(1000):03d}"),
                "phone": "139" + f"{secrets.randbelow(10**8):08d}",
                "occupation": "food_delivery",
                "household_registration_place": "青海省西宁市城中区",
                "residence_district": "chengzhong",
            },
        )
        assert r.status_code == 201, r.text
        worker_id = r.json()["worker_id"]
        r = await world.contracts.post(
            "/v1/contracts",
            headers=h,
            json={
                "registration_id": r.json()["registration_id"],
                "enterprise_id": pid,
                "engagement_type": engagement_type,
                "part_time": False,
                "start_date": "2025-01-01",
                "end_date": None,
                "terms": {
                    "pay_period": "month",
                    "hours_arrangement": "standard",
                    "rest_rules": "每周休息一日",
                    "insurance": {"work_injury": True, "occupational_injury": True, "accident": True},
                    **terms,
                },
                "engagement_facts": LABOR_FACTS if engagement_type == "labor_contract" else AGREEMENT_FACTS,
                "document_text": f"合同 {secrets.token_hex(4)}：甲方与乙方约定配送工作。",
            },
        )
        assert r.status_code == 201, r.text
        drafted = r.json()
        cid = drafted["contract_id"]
        assert (await world.contracts.post(f"/v1/contracts/{cid}/send", headers=h)).status_code == 200
        for signer, headers in (("worker", world.tokens.headers("worker", subject=worker_id)), ("enterprise", h)):
            s = await world.contracts.post(
                f"/v1/contracts/{cid}/signatures",
                headers=headers,
                json={"signer": signer, "intent": "本人同意并签署本合同"},
            )
            assert s.status_code == 201, s.text
        await world.engagement_known(cid)
        return {"platform_id": pid, "worker_id": worker_id, "contract_id": cid, "drafted": drafted}

    async def contract_findings(self, contract_id: str) -> list[dict[str, Any]]:
        return await fetch(self.contracts_url, "select * from findings where subject_id = :s", s=contract_id)


@pytest.fixture(scope="module")
async def cw(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("lcc").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "wages", "unions", "departments"))
    unions_topic = f"{prefix}-unions.events"
    await ensure_topics(kafka.bootstrap_servers, [unions_topic])
    contracts_settings = await contracts_settings_for(new_database, kafka, tokens, prefix, unions_topic=unions_topic)
    wages_url = await kit_migrated_database(new_database, "wages")
    wages_app = create_wages_app(
        WagesSettings(
            service_name=f"{prefix}-wages",
            database_url=wages_url,
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            jwt_public_key=tokens.public_pem,
            relay_poll_interval_s=0.2,
            deadline_poll_interval_s=3600,
            contracts_topic=f"{prefix}-contracts.events",
            unions_topic=unions_topic,
            departments_topic=f"{prefix}-departments.events",
        )
    )
    async with app_client(create_contracts_app(contracts_settings)) as contracts, app_client(wages_app) as wages:
        await wait_started(wages_app)
        world = WagesWorld(contracts=contracts, wages=wages, tokens=tokens, wages_url=wages_url)
        feed = EventFeed(
            kafka.bootstrap_servers, topics={"unions": unions_topic, "departments": f"{prefix}-departments.events"}
        )
        yield CollectiveWorld(world, feed, contracts_settings.database_url)


def march(**kw: Any) -> dict[str, Any]:
    return {
        "period_start": "2025-03-01",
        "period_end": "2025-03-31",
        "due_date": "2025-04-10",
        "gross_fen": kw.get("piece_fen", 0),
        "normal_hours": 168,
        "paid_fen": kw.get("piece_fen", 0),
        "paid_on": "2025-04-08",
        **kw,
    }


MEAL_450 = [piece_rate("meal", 450)]


async def test_CC_1_a_labour_contract_below_the_agreed_piece_rate(cw: CollectiveWorld):
    case = CASES["CC-1"]
    pid = await cw.world.platform()
    cc = await collective_in_force(cw.feed, [pid], piece_rates=MEAL_450, effective_from=date(2025, 1, 1))
    await cw.known(cc)
    c = await cw.contract(pid, "labor_contract", {"pay_basis": "piece_rate", "piece_rates": {"meal": 400}})
    (found,) = [
        f for f in await cw.contract_findings(c["contract_id"]) if f["rule"] == "M6.collective_standard_undercut"
    ]
    assert found["evidence"]["collective_contract_id"] == cc, case.answer
    assert found["evidence"]["undercut"] == [{"order_type": "meal", "rate_fen": 400, "agreed_min_rate_fen": 450}]
    assert "第五十五条" in found["evidence"]["legal_source"], case.source


async def test_CC_2_and_3_a_silent_agreement_takes_the_standard_and_pay_is_judged_against_it(cw: CollectiveWorld):
    below_case, at_case = CASES["CC-2"], CASES["CC-3"]
    pid = await cw.world.platform()
    cc = await collective_in_force(cw.feed, [pid], piece_rates=MEAL_450, effective_from=date(2025, 1, 1))
    await cw.known(cc)
    c = await cw.contract(pid, "work_agreement", {"pay_basis": "piece_rate"})
    contract_rules = {f["rule"] for f in await cw.contract_findings(c["contract_id"])}
    assert "M6.collective_standard_undercut" not in contract_rules, below_case.answer
    below = await cw.world.statement(c, "cc2", **march(piece_fen=336_000, piece_orders=800))
    found = {f["rule"]: f for f in await cw.world.findings_of(below["statement_id"])}
    evidence = found["M6.collective_piece_rate_below"]["evidence"]
    assert (evidence["agreed_min_rate_fen"], evidence["average_rate_fen"]) == (450, 420), below_case.answer
    at = await cw.world.statement(c, "cc3", **march(piece_fen=360_000, piece_orders=800))
    rules = {f["rule"] for f in await cw.world.findings_of(at["statement_id"])}
    assert "M6.collective_piece_rate_below" not in rules, at_case.answer


async def test_CC_4_a_terminated_collective_contract_binds_the_periods_before_its_end_only(cw: CollectiveWorld):
    case = CASES["CC-4"]
    pid = await cw.world.platform()
    cc = await collective_in_force(cw.feed, [pid], piece_rates=MEAL_450, effective_from=date(2025, 1, 1))
    await cw.known(cc)
    await collective_ended(cw.feed, cc, date(2025, 2, 28), reason="terminated")  # the last day it applied
    await cw.known(cc, ended=True)
    c = await cw.contract(pid, "work_agreement", {"pay_basis": "piece_rate"})
    low = {"piece_fen": 336_000, "piece_orders": 800}
    february = await cw.world.statement(
        c,
        "cc4-feb",
        **march(period_start="2025-02-01", period_end="2025-02-28", due_date="2025-03-10", paid_on="2025-03-08", **low),
    )
    in_march = await cw.world.statement(c, "cc4-mar", **march(**low))
    assert "M6.collective_piece_rate_below" in {f["rule"] for f in await cw.world.findings_of(february["statement_id"])}
    assert "M6.collective_piece_rate_below" not in {
        f["rule"] for f in await cw.world.findings_of(in_march["statement_id"])
    }, case.answer


async def test_CC_5_days_worked_in_a_red_warning_owe_the_agreed_bad_weather_allowance(cw: CollectiveWorld):
    case = CASES["CC-5"]
    rule = "M7.collective_bad_weather_allowance_below"
    pid = await cw.world.platform()
    cc = await collective_in_force(
        cw.feed, [pid], bad_weather_allowance_fen_per_day=3_000, effective_from=date(2025, 1, 1)
    )
    await cw.known(cc)
    c = await cw.contract(pid, "labor_contract", {"pay_basis": "hourly"})
    district = await scalar(
        cw.world.wages_url, "select district from engagements where contract_id = :c", c=c["contract_id"]
    )
    starts = datetime(2025, 3, 10, 6, 0, tzinfo=BUSINESS_TZ)
    fact_id = "fct_" + secrets.token_hex(6)
    await cw.feed.send(
        WeatherWarningIssued(
            fact_id=fact_id,
            subject_key=f"XNQX-{fact_id}",
            department="emergency",
            reference=f"XNQX-{fact_id}",
            version=1,
            observed_at=starts,
            recorded_at=starts,
            district=district,
            level="red",
            hazard="snow",
            starts_at=starts,
            ends_at=starts + timedelta(days=2),
            source="西宁市气象台",
        ),
        source="departments",
    )

    async def warning_held():
        return await scalar(cw.world.wages_url, "select 1 from weather_warnings where warning_id = :w", w=fact_id)

    await eventually(warning_held, timeout=60)
    sessions = [
        {
            "line_id": f"cc5-{day}",
            "worker_id": c["worker_id"],
            "contract_id": c["contract_id"],
            "started_at": datetime(2025, 3, day, 10, 0, tzinfo=BUSINESS_TZ).isoformat(),
            "ended_at": datetime(2025, 3, day, 14, 0, tzinfo=BUSINESS_TZ).isoformat(),
        }
        for day in (10, 11, 20)
    ]
    await cw.world.batch(pid, "sessions", sessions)
    pay = {"base_fen": 300_000, "normal_hours": 168}
    below = await cw.world.statement(
        c, "cc5-30", **march(**pay, bad_weather_allowance_fen=3_000, gross_fen=303_000, paid_fen=303_000)
    )
    found = {f["rule"]: f for f in await cw.world.findings_of(below["statement_id"])}
    evidence = found[rule]["evidence"]
    assert evidence["collective_contract_id"] == cc, case.answer
    assert evidence["bad_weather_days"] == ["2025-03-10", "2025-03-11"] and evidence["owed_fen"] == 6_000, case.answer
    assert "第五十五条" in evidence["legal_source"], case.source
    at = await cw.world.statement(
        c, "cc5-60", **march(**pay, bad_weather_allowance_fen=6_000, gross_fen=306_000, paid_fen=306_000)
    )
    assert rule not in {f["rule"] for f in await cw.world.findings_of(at["statement_id"])}, case.answer
