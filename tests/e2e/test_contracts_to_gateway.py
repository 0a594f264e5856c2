"""Across services, through Kafka: the real contracts app feeds the real gateway."""

from __future__ import annotations

import secrets
from datetime import date

from newform_common.identity import make_resident_id
from newform_common.testing import TokenFactory, app_client, eventually, unique_name
from newform_contracts.main import create_app as create_contracts_app
from newform_gateway.main import create_app as create_gateway_app

from ..kit.gateway import prepare_topics
from ..kit.stack import contracts_settings_for, gateway_settings_for, register_platform

# Labour-relationship facts (劳社部发〔2005〕12号 art. 1) declared under a civil label: an M1 misclassification.
LABOR_FACTS = {
    "enterprise_sets_rules_and_discipline": True,
    "enterprise_controls_schedule": True,
    "enterprise_sets_pay": True,
    "work_is_core_business": True,
    "worker_may_refuse_orders": False,
    "worker_bears_profit_and_loss": False,
    "worker_works_elsewhere": False,
}
# The catalogue's M1 units, `county` being the government of the place of work — the platform's district,
# chengzhong, not the worker's residence (chengdong); food delivery's regulator (market) is among them.
EXPECTED_M1_CHENGZHONG = {"hrss", "court", "union", "transport", "market", "postal", "culture", "county:chengzhong"}


async def test_a_misclassified_contract_drafted_in_contracts_becomes_a_routed_alert_in_the_gateway(
    new_database, kafka, monkeypatch
):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2e").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    contracts_settings = await contracts_settings_for(new_database, kafka, tokens, prefix)
    settings = await gateway_settings_for(new_database, kafka, tokens, prefix)

    pid = "p" + secrets.token_hex(5)
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    async with (
        app_client(create_contracts_app(contracts_settings)) as contracts,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await register_platform(contracts, tokens, pid, district="chengzhong", occupation="food_delivery")
        r = await contracts.post(
            "/v1/workers",
            headers=platform,
            json={
                "name": "张三丰",
                "id_number": make_resident_id("630102", date(1990, 3, 14), f"{secrets.randbelow(1000):03d}"),
                "phone": "138" + f"{secrets.randbelow(10**8):08d}",
                "occupation": "food_delivery",
                "household_registration_place": "青海省西宁市城东区",
                "residence_district": "chengdong",
            },
        )
        assert r.status_code == 201, r.text
        registration_id, worker_id = r.json()["registration_id"], r.json()["worker_id"]
        r = await contracts.post(
            "/v1/contracts",
            headers=platform,
            json={
                "registration_id": registration_id,
                "enterprise_id": pid,
                "engagement_type": "civil",
                "part_time": False,
                "start_date": "2026-12-01",
                "end_date": "2027-11-30",
                "terms": {
                    "pay_basis": "monthly_salary",
                    "pay_period": "month",
                    "pay_day": "每月10日",
                    "base_pay_fen": 450000,
                    "hours_arrangement": "standard",
                    "rest_rules": "每周休息一日",
                    "insurance": {"work_injury": True, "occupational_injury": False, "accident": True},
                },
                "engagement_facts": LABOR_FACTS,
                "document_text": "合作协议：乙方以个人名义承接配送业务。",
            },
        )
        assert r.status_code == 201, r.text
        contract_id = r.json()["contract_id"]
        # A draft's findings are held; sending the contract to the worker makes them alerts.
        sent = await contracts.post(f"/v1/contracts/{contract_id}/send", headers=platform)
        assert sent.status_code == 200, sent.text

        regulator = tokens.headers("regulator")

        async def alert():
            items = (await gateway.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["subject_id"] == contract_id and a["rule"] == "M1.misclassification"]
            return found[0] if found else None

        found = await eventually(alert, timeout=60)
        assert found["measure"] == "M1" and found["source_service"] == "contracts"
        assert found["worker_id"] == worker_id and found["platform_id"] == pid
        assert set(found["departments"]) == EXPECTED_M1_CHENGZHONG

        async def projected():
            r = await gateway.get(f"/v1/platforms/{pid}", headers=regulator)
            return r.json() if r.status_code == 200 and r.json()["contracts_by_engagement_type"] else None

        detail = await eventually(projected)
        assert detail["contracts_by_engagement_type"] == {"civil": 1}
        assert detail["registrations_by_district"] == {"chengdong": 1}
        timeline = (await gateway.get(f"/v1/workers/{worker_id}/timeline", headers=regulator)).json()
        assert "contracts.contract.drafted.v1" in [e["type"] for e in timeline["events"]]
        assert (
            await gateway.get(
                f"/v1/alerts/{found['alert_id']}", headers=tokens.headers("department", department="police")
            )
        ).status_code == 404
        assert found["provisional"] is False

        # After the measures lapse (no successor loaded) the contract is still judged; an alert from a
        # rule resting on the measures alone reaches the departments marked provisional.
        from newform_contracts import shared

        monkeypatch.setattr(shared, "today", lambda: date(2027, 1, 15))
        r = await contracts.post(
            "/v1/contracts",
            headers=platform,
            json={
                "registration_id": registration_id,
                "enterprise_id": pid,
                "engagement_type": "civil",
                "part_time": False,
                "start_date": "2027-02-01",
                "end_date": "2028-01-31",
                "terms": {
                    "pay_basis": "piece_rate",
                    "pay_period": "week",
                    "pay_day": "每周一",
                    "hours_arrangement": "flexible",
                    "rest_rules": "自主安排",
                    "insurance": {"work_injury": False, "occupational_injury": False, "accident": False},
                },
                "engagement_facts": {
                    **LABOR_FACTS,
                    "enterprise_sets_rules_and_discipline": False,
                    "enterprise_controls_schedule": False,
                    "enterprise_sets_pay": False,
                    "work_is_core_business": False,
                    "worker_bears_profit_and_loss": True,
                    "worker_may_refuse_orders": True,
                },
                "document_text": "合作协议：乙方自主经营。",
            },
        )
        assert r.status_code == 201, r.text
        lapsed_contract = r.json()["contract_id"]
        assert {f["rule"]: f["provisional"] for f in r.json()["findings"]}["M9.platform_worker_protection"] is True
        sent = await contracts.post(f"/v1/contracts/{lapsed_contract}/send", headers=platform)
        assert sent.status_code == 200, sent.text  # a draft's findings become alerts when it is sent

        async def provisional_alert():
            items = (await gateway.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
            return next(
                (
                    a
                    for a in items
                    if a["subject_id"] == lapsed_contract and a["rule"] == "M9.platform_worker_protection"
                ),
                None,
            )

        lapsed = await eventually(provisional_alert, timeout=60)
        assert lapsed["provisional"] is True
