"""Across services, through real Kafka: contracts' engagement feeds wages, a wages statement becomes a
gateway alert, the gateway's wages read models, its wages page, and a credit record once confirmed."""

from __future__ import annotations

import asyncio

from newform_common.testing import TokenFactory, app_client, credit_code, eventually, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_gateway.main import create_app as create_gateway_app
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics
from ..kit.wages import new_platform, new_worker, statement


async def test_an_unpaid_wages_statement_becomes_a_routed_arrears_alert_and_a_credit_record(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2ew").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "wages", "gateway"))
    wages_settings = WagesSettings(
        service_name=f"{prefix}-wages",
        database_url=await kit_migrated_database(new_database, "wages"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=3600,
        contracts_topic=f"{prefix}-contracts.events",
    )
    settings = gateway_settings(
        prefix, await migrated_database(new_database), kafka.bootstrap_servers, tokens.public_pem
    )
    feed = EventFeed(kafka.bootstrap_servers, topics={"contracts": f"{prefix}-contracts.events"})
    pid, worker, unit = new_platform(), new_worker(), "ent_" + new_platform()
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    regulator = tokens.headers("regulator")

    wages_app = create_wages_app(wages_settings)
    async with app_client(wages_app) as wages, app_client(create_gateway_app(settings)) as gateway:
        # the engagements' consumer has joined its group (a busy broker can take a while)
        await asyncio.wait_for(wages_app.state.consumers[0].started.wait(), timeout=120)
        code = credit_code()
        r = await wages.post(
            "/v1/related-units",
            headers=platform,
            json={
                "enterprise_id": unit,
                "name": "某某外包服务有限公司",
                "credit_code": code,
                "kind": "outsourcer",
                "platform_entrusted_to_pay": False,
            },
        )
        assert r.status_code == 201, r.text
        contract = await feed.signed(
            worker_id=worker, platform_id=pid, enterprise_id=unit, district="chengxi", occupation="courier"
        )

        async def engagement_known():
            r = await wages.post(
                "/v1/statements",
                headers=platform,
                json=statement(
                    "probe",
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

        await eventually(engagement_known, timeout=120)  # the probe stays; a judged one means the copy arrived

        r = await wages.post(
            "/v1/statements",
            headers=platform,
            json=statement("march", contract, worker, paid_fen=200_000, paid_on="2024-04-08"),
        )
        assert r.status_code == 201, r.text
        statement_id = r.json()["statement_id"]
        # the unit pays its own staff (the platform is not entrusted): the unit's arrears, for M6 and M20
        assert {f["rule"] for f in r.json()["findings"]} == {"M6.wage_arrears", "M20.wage_arrears_enforcement"}

        async def alert():
            items = (await gateway.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["subject_id"] == statement_id and a["rule"] == "M6.wage_arrears"]
            return found[0] if found else None

        found = await eventually(alert, timeout=60)
        assert found["source_service"] == "wages" and found["platform_id"] == pid
        assert found["enterprise_id"] == unit and found["district"] == "chengxi"
        detail = (await gateway.get(f"/v1/alerts/{found['alert_id']}", headers=regulator)).json()
        assert detail["evidence"][0]["evidence"]["credit_code"] == code
        assert {"hrss", "postal", "county:chengxi"} <= set(found["departments"])  # courier: postal regulates

        async def read_model():
            rows = (await gateway.get("/v1/wages/compliance", headers=regulator, params={"platform_id": pid})).json()
            return rows if rows and sum(r["statements"] for r in rows) == 2 else None

        compliance = {r["month"]: r for r in await eventually(read_model, timeout=60)}
        assert compliance["2024-03"]["paid_on_time"] == 0 and compliance["2024-01"]["paid_on_time"] == 1
        owed = (await gateway.get("/v1/wages/arrears", headers=regulator)).json()
        group = next(g for g in owed["by_group"] if g["district"] == "chengxi" and g["occupation"] == "courier")
        assert group["amount_fen"] >= 100_000 and group["workers"] >= 1

        gateway.cookies.set("newform_token", tokens.token("regulator"))
        page = await gateway.get("/wages")
        assert page.status_code == 200 and "欠薪趋势" in page.text and "最低工资" in page.text

        hrss = tokens.headers("department", subject="hrss-1", department="hrss")
        r = await gateway.post(
            f"/v1/alerts/{found['alert_id']}/resolve", headers=hrss, json={"outcome": "confirmed", "note": "经核查属实"}
        )
        assert r.status_code == 200, r.text
        records = (await gateway.get("/v1/credit-records", headers=regulator)).json()["items"]
        mine = [c for c in records if c["alert_id"] == found["alert_id"]]
        assert mine and mine[0]["enterprise_id"] == unit and mine[0]["rule"] == "M6.wage_arrears"
