"""Through Kafka, from a real rule to a credit record: contracts raises M3.dispatch_licence_invalid for a
contract through a dispatch agency whose licence has expired; the gateway routes the alert to the
agency's district; the district government acknowledges and comments but may not decide; the lead
department (hrss, M3's first unit) decides 查处 (penalized), which makes the credit record (M6, M19)."""

from __future__ import annotations

import secrets
from datetime import date

from newform_common.identity import make_resident_id
from newform_common.testing import TokenFactory, app_client, credit_code, eventually, unique_name
from newform_contracts.main import create_app as create_contracts_app
from newform_gateway.main import create_app as create_gateway_app

from ..kit.gateway import prepare_topics
from ..kit.stack import contracts_settings_for, gateway_settings_for, register_platform
from .test_contracts_to_gateway import LABOR_FACTS


async def test_a_real_finding_confirmed_by_the_lead_department_becomes_a_credit_record(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2ecredit").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    contracts_settings = await contracts_settings_for(new_database, kafka, tokens, prefix)
    settings = await gateway_settings_for(new_database, kafka, tokens, prefix)

    pid = "p" + secrets.token_hex(5)
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    regulator, hrss = tokens.headers("regulator"), tokens.headers("department", department="hrss")
    chengbei = tokens.headers("department", department="county", district="chengbei")
    async with (
        app_client(create_contracts_app(contracts_settings)) as contracts,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await register_platform(contracts, tokens, pid, district="chengzhong", occupation="courier")
        r = await contracts.post(
            "/v1/partners",
            headers=platform,
            json={
                "name": "西宁过期劳务派遣有限公司",
                "kind": "dispatch_agency",
                "credit_code": credit_code(),
                "district": "chengbei",
                "occupations": ["courier"],
                "dispatch_licence": {"number": "青人社派许字〔2020〕0007号", "valid_until": "2023-06-30"},
            },
        )
        assert r.status_code == 201, r.text
        agency = r.json()["enterprise_id"]
        r = await contracts.post(
            "/v1/workers",
            headers=platform,
            json={
                "name": "李四",
                "id_number": make_resident_id("630102", date(1992, 5, 6), f"{secrets.randbelow(1000):03d}"),
                "phone": "139" + f"{secrets.randbelow(10**8):08d}",
                "occupation": "courier",
                "household_registration_place": "青海省西宁市城东区",
                "residence_district": "datong",
            },
        )
        assert r.status_code == 201, r.text
        registration_id = r.json()["registration_id"]
        r = await contracts.post(
            "/v1/contracts",
            headers=platform,
            json={
                "registration_id": registration_id,
                "enterprise_id": agency,
                "engagement_type": "labor_contract",
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
                "document_text": "劳动合同：乙方由甲方派遣至平台从事快递收派工作。",
            },
        )
        assert r.status_code == 201, r.text
        contract_id = r.json()["contract_id"]
        sent = await contracts.post(f"/v1/contracts/{contract_id}/send", headers=platform, json={})
        assert sent.status_code == 200, sent.text

        async def alert():
            items = (await gateway.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["subject_id"] == contract_id and a["rule"] == "M3.dispatch_licence_invalid"]
            return found[0] if found else None

        found = await eventually(alert, timeout=60)
        # The agency's district (chengbei), not the worker's home (datong); hrss leads M3.
        assert "county:chengbei" in found["departments"] and "county:datong" not in found["departments"]
        assert found["lead_department"] == "hrss" and found["enterprise_id"] == agency
        path = f"/v1/alerts/{found['alert_id']}"

        assert (await gateway.post(f"{path}/acknowledge", headers=chengbei, json={"note": "已知悉"})).status_code == 200
        assert (
            await gateway.post(f"{path}/comments", headers=chengbei, json={"note": "该派遣单位许可证已于2023年到期"})
        ).status_code == 200
        refused = await gateway.post(f"{path}/resolve", headers=chengbei, json={"outcome": "confirmed"})
        assert refused.status_code == 403
        assert (await gateway.get("/v1/credit-records", headers=regulator, params={"platform_id": pid})).json()[
            "items"
        ] == []

        async def contract_projected():  # the source events the evidence chain names
            r = await gateway.get(f"/v1/platforms/{pid}", headers=regulator)
            return r.status_code == 200 and sum(r.json()["contracts_by_status"].values()) == 1

        await eventually(contract_projected)
        decided = await gateway.post(f"{path}/resolve", headers=hrss, json={"outcome": "penalized", "note": "查处"})
        assert decided.status_code == 200 and decided.json()["resolution"] == "penalized"
        records = (await gateway.get("/v1/credit-records", headers=regulator, params={"platform_id": pid})).json()
        assert len(records["items"]) == 1
        record = records["items"][0]
        assert record["rule"] == "M3.dispatch_licence_invalid" and record["enterprise_id"] == agency
        roles = [link["role"] for link in record["evidence_chain"]]
        assert roles[0] == "source" and "finding" in roles and roles[-1] == "confirmation"
        sources = [link["type"] for link in record["evidence_chain"] if link["role"] == "source"]
        assert "contracts.contract.drafted.v1" in sources


async def test_a_platforms_rule_notice_finding_reaches_the_district_where_the_platform_is_registered(
    new_database, kafka
):
    """M10 findings name no district: they go to the government of the platform's registered district
    and its occupations' sector regulators, never to a bare `county` nobody receives."""
    tokens = TokenFactory.generate()
    prefix = unique_name("e2em10").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    contracts_settings = await contracts_settings_for(new_database, kafka, tokens, prefix)
    settings = await gateway_settings_for(new_database, kafka, tokens, prefix)
    pid = "p" + secrets.token_hex(5)
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    async with (
        app_client(create_contracts_app(contracts_settings)) as contracts,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await register_platform(contracts, tokens, pid, district="huangyuan", occupation="designated_driver")

        async def platform_known():
            r = await gateway.get("/v1/enterprises", headers=tokens.headers("regulator"), params={"platform_id": pid})
            return r.json()["items"]

        await eventually(platform_known)
        r = await contracts.post(
            "/v1/rule-notices",
            headers=platform,
            json={
                "topic": "piece_rates",
                "title": "代驾单价调整",
                "content": "起步价由每单30元调整为每单28元。",
                "consultation": None,
                "published_on": "2026-11-10",
                "effective_on": "2026-11-20",
            },
        )
        assert r.status_code == 201, r.text
        notice_id = r.json()["notice_id"]
        huangyuan = tokens.headers("department", department="county", district="huangyuan")

        async def alert():
            items = (await gateway.get("/v1/alerts", headers=huangyuan, params={"limit": 500})).json()["items"]
            return [a for a in items if a["subject_id"] == notice_id]

        found = await eventually(alert, timeout=60)
        assert found[0]["measure"] == "M10" and found[0]["lead_department"] == "union"
        assert "county:huangyuan" in found[0]["departments"] and "county" not in found[0]["departments"]
        assert "transport" in found[0]["departments"]  # designated drivers' sector regulator
