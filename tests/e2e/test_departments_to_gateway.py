"""Across services, through Kafka: medins states in the departments service that a worker is not enrolled
in work-injury insurance; contracts, where the platform declared him insured, raises the contradiction
(M9, source medins); the gateway routes it to hrss like any finding."""

from __future__ import annotations

import secrets
from datetime import date

import httpx

from newform_common.identity import make_resident_id
from newform_common.kafka import ensure_topics
from newform_common.testing import credit_code, eventually, migrated_database, running_service, unique_name
from newform_contracts.main import create_app as create_contracts_app
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_gateway.main import create_app as create_gateway_app

from ..kit.stack import E2E_PII_SECRET, contracts_settings_for, gateway_settings_for, register_platform
from .test_contracts_to_gateway import LABOR_FACTS

PII_SECRET = E2E_PII_SECRET


async def test_medins_not_enrolled_against_a_declared_insured_worker_reaches_hrss(new_database, kafka, tokens):
    prefix = unique_name("e2edp").replace("_", "")
    await ensure_topics(
        kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("contracts", "departments", "gateway")]
    )
    contracts_settings = await contracts_settings_for(
        new_database, kafka, tokens, prefix, departments_topic=f"{prefix}-departments.events"
    )
    departments_url = await migrated_database(new_database, "departments")
    departments_settings = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=departments_url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        pii_secret=PII_SECRET,
        relay_poll_interval_s=0.2,
        contracts_topic=f"{prefix}-contracts.events",
    )
    gw_settings = await gateway_settings_for(new_database, kafka, tokens, prefix)

    pid = "p" + secrets.token_hex(5)
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    id_number = make_resident_id("630102", date(1991, 5, 2), f"{secrets.randbelow(1000):03d}")
    async with (
        running_service(create_contracts_app, contracts_settings, tokens) as contracts,
        running_service(create_departments_app, departments_settings, tokens) as departments,
        running_service(create_gateway_app, gw_settings, tokens) as gw,
    ):
        c = contracts.client
        await register_platform(c, tokens, pid, district="chengzhong", occupation="food_delivery")
        r = await c.post(
            "/v1/workers",
            headers=platform,
            json={
                "name": "李四",
                "id_number": id_number,
                "phone": "139" + f"{secrets.randbelow(10**8):08d}",
                "occupation": "food_delivery",
                "household_registration_place": "青海省西宁市城西区",
                "residence_district": "chengxi",
            },
        )
        assert r.status_code == 201, r.text
        worker_id = r.json()["worker_id"]
        r = await c.post(
            "/v1/contracts",
            headers=platform,
            json={
                "registration_id": r.json()["registration_id"],
                "enterprise_id": pid,
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
                "document_text": "劳动合同：甲方聘用乙方从事配送工作，依法参加工伤保险。",
            },
        )
        assert r.status_code == 201, r.text
        contract_id = r.json()["contract_id"]
        assert (await c.post(f"/v1/contracts/{contract_id}/send", headers=platform)).status_code == 200

        # medins's register says otherwise.
        stated = await departments.client.post(
            "/v1/insurance-enrolments",
            headers=tokens.headers("department", department="medins"),
            json={
                "reference": "XNYB-2026-7788",
                "id_number": id_number,
                "insurance_type": "work_injury",
                "status": "not_enrolled",
                "observed_at": "2026-11-28T10:00:00+08:00",
            },
        )
        assert stated.status_code == 201, stated.text
        assert stated.json()["worker_id"] == worker_id  # the same pseudonym in every service

        hrss = tokens.headers("department", department="hrss")

        async def alert():
            items = (await gw.client.get("/v1/alerts", headers=hrss, params={"limit": 500})).json()["items"]
            found = [
                a for a in items if a["subject_id"] == contract_id and a["rule"] == "M9.declared_insurance_not_enrolled"
            ]
            return found[0] if found else None

        found = await eventually(alert, timeout=60)
        assert found["measure"] == "M9" and found["platform_id"] == pid and found["worker_id"] == worker_id
        assert "hrss" in found["departments"] and "medins" in found["departments"]
        detail = (await gw.client.get(f"/v1/alerts/{found['alert_id']}", headers=hrss)).json()
        [evidence] = [e["evidence"] for e in detail["evidence"]]
        assert evidence["source"] == "medins" and evidence["reference"] == "XNYB-2026-7788"
        # The fact is linked to the worker once contracts' registration reached the departments service.

        async def linked():
            r = await departments.client.get(
                f"/v1/facts/{stated.json()['fact_id']}", headers={**departments.regulator, "X-Purpose": "e2e"}
            )
            return r.json()["linked"]

        assert await eventually(linked, timeout=60)  # a new consumer group joins first: as slow as the alert

        # The regulator's view of what departments hold (the gateway's department-facts read model and page).
        licence = await departments.client.post(
            "/v1/dispatch-licences",
            headers=hrss,
            json={
                "reference": "青人社派许字〔2023〕0007号",
                "holder_credit_code": credit_code(),
                "holder_name": "某劳务派遣公司",
                "valid_from": "2023-01-01",
                "valid_until": "2027-12-31",
                "revoked_on": "2026-10-01",
            },
        )
        assert licence.status_code == 201, licence.text

        async def facts_summary():
            r = await gw.client.get("/v1/department-facts/summary", headers=gw.regulator)
            assert r.status_code == 200, r.text
            s = r.json()
            return s if s["licences_invalid"] and s["not_enrolled_by_type"] else None

        s = await eventually(facts_summary, timeout=60)
        assert s["not_enrolled_by_type"] == [{"key": "work_injury", "count": 1}]
        assert [(x["licence_number"], x["invalid_from"], x["revoked"]) for x in s["licences_invalid"]] == [
            ("青人社派许字〔2023〕0007号", "2026-10-01", True)
        ]
        assert sorted((r["department"], r["kind"], r["facts"]) for r in s["by_source"]) == [
            ("hrss", "dispatch_licence", 1),
            ("medins", "insurance_enrolment", 1),
        ]
        async with httpx.AsyncClient(transport=gw.client._transport, base_url="http://testserver") as browser:
            await browser.post("/signin", data={"token": tokens.token("regulator"), "next": "/departments"})
            page = await browser.get("/departments")
        assert page.status_code == 200 and "部门核验信息" in page.text
        assert "青人社派许字〔2023〕0007号" in page.text and "工伤保险" in page.text
