"""Across services, through Kafka: the real disputes app feeds the real gateway. A complaint's reply
deadline runs out (fired at a chosen time) and becomes an alert routed to M10's units; escalations
reach the departments they concern; the disputes figures and the fair-management scorecard follow."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import httpx

from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.testing import (
    TokenFactory,
    app_client,
    eventually,
    migrated_database,
    resident_id,
    scalar,
    unique_name,
    worker_id_of,
)
from newform_disputes.config import Settings as DisputesSettings
from newform_disputes.handlers import DEADLINE_HANDLERS
from newform_disputes.main import create_app as create_disputes_app
from newform_gateway.main import create_app as create_gateway_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, prepare_topics
from ..kit.gateway import migrated_database as gateway_database

# M10's units in the catalogue, `county` being chengbei's government; ride hailing's regulator (transport)
# is among them already.
EXPECTED_M10_CHENGBEI = {"union", "hrss", "transport", "market", "postal", "culture", "county:chengbei"}


async def test_a_missed_reply_deadline_becomes_a_routed_alert_and_escalations_reach_their_departments(
    new_database, kafka
):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2d").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "disputes", "gateway"))
    disputes_url = await migrated_database(new_database, "disputes")
    disputes_settings = DisputesSettings(
        service_name=f"{prefix}-disputes",
        database_url=disputes_url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        contracts_topic=f"{prefix}-contracts.events",
        consumer_group_prefix=f"{prefix}-disputes",
    )
    gateway_url = await gateway_database(new_database)
    settings = gateway_settings(prefix, gateway_url, kafka.bootstrap_servers, tokens.public_pem)
    worker, pid = worker_id_of(resident_id()), "p" + secrets.token_hex(5)
    contract = "c_" + secrets.token_hex(6)
    await EventFeed(kafka.bootstrap_servers, prefix).contract(
        contract, worker, pid, occupation="ride_hailing", district="chengbei"
    )
    as_worker = tokens.headers("worker", subject=worker)
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    regulator = tokens.headers("regulator")

    async with (
        app_client(create_disputes_app(disputes_settings)) as disputes,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await eventually(
            lambda: scalar(disputes_url, "select count(*) from engagements where contract_id = :c", c=contract)
        )
        r = await disputes.post(
            "/v1/complaints",
            headers=as_worker,
            json={
                "category": "working_time_rest",
                "description": "平台派单使连续工作超过十小时",
                "contract_id": contract,
            },
        )
        assert r.status_code == 201, r.text
        unanswered = r.json()
        r = await disputes.post(
            "/v1/complaints",
            headers=as_worker,
            json={"category": "pay", "description": "奖励金未发放", "contract_id": contract},
        )
        answered = r.json()
        assert (
            await disputes.post(
                f"/v1/complaints/{answered['complaint_id']}/answer", headers=platform, json={"answer": "已补发"}
            )
        ).status_code == 200

        # The reply deadline runs out: fired as the deadline worker would at that time.
        due = datetime.fromisoformat(unanswered["clocks"][0]["due_at"])
        db = Database(disputes_url, service=f"{prefix}-disputes", domain="disputes")
        try:
            fired = await fire_due(db, DEADLINE_HANDLERS, now=due + timedelta(seconds=1))
        finally:
            await db.dispose()
        assert [d.subject_id for d in fired] == [unanswered["complaint_id"]]

        async def alert_of(subject_id: str, rule: str):
            items = (await gateway.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["subject_id"] == subject_id and a["rule"] == rule]
            return found[0] if found else None

        alert = await eventually(
            lambda: alert_of(unanswered["complaint_id"], "M10.complaint_reply_overdue"), timeout=60
        )
        assert alert["source_service"] == "disputes" and alert["platform_id"] == pid and alert["measure"] == "M10"
        assert alert["worker_id"] is None  # the complainant of a masked category is not named
        assert set(alert["departments"]) == EXPECTED_M10_CHENGBEI
        assert any(
            a["alert_id"] == alert["alert_id"]
            for a in (await gateway.get("/v1/alerts", headers=tokens.headers("department", department="union"))).json()[
                "items"
            ]
        )

        # The worker escalates: safety to the departments, discrimination to the court route.
        escalated = {}
        for category, description in (("safety", "雨雪天气仍要求限时送达"), ("discrimination", "按户籍区别派单")):
            r = await disputes.post(
                "/v1/complaints",
                headers=as_worker,
                json={"category": category, "description": description, "contract_id": contract},
            )
            complaint_id = r.json()["complaint_id"]
            r = await disputes.post(
                f"/v1/complaints/{complaint_id}/escalation", headers=as_worker, json={"to": "department"}
            )
            assert r.status_code == 200, r.text
            escalated[category] = complaint_id
        safety = await eventually(lambda: alert_of(escalated["safety"], "M8.complaint_escalated"), timeout=60)
        assert {"emergency", "transport", "county:chengbei"} <= set(safety["departments"])
        await eventually(lambda: alert_of(escalated["discrimination"], "M5.complaint_escalated"), timeout=60)

        async def escalations_of(department: str) -> set[str]:
            r = await gateway.get(
                "/v1/disputes/escalations", headers=tokens.headers("department", department=department)
            )
            assert r.status_code == 200, r.text
            return {a["subject_id"] for a in r.json()}

        assert await escalations_of("emergency") == {escalated["safety"]}
        assert await escalations_of("court") == {escalated["discrimination"]}
        assert await escalations_of("tax") == set()

        # A worker in mediation asks for legal aid: the justice bureau sees the request.
        r = await disputes.post(
            "/v1/cases",
            headers=as_worker,
            json={"category": "pay", "contract_id": contract, "claims": [{"item": "奖励金", "amount_fen": 30000}]},
        )
        case_id = r.json()["case_id"]
        assert (await disputes.post(f"/v1/cases/{case_id}/legal-aid", headers=as_worker)).status_code == 200

        async def legal_aid():
            r = await gateway.get("/v1/disputes/legal-aid", headers=tokens.headers("department", department="justice"))
            return [a for a in r.json() if a["case_id"] == case_id]

        [request] = await eventually(legal_aid, timeout=60)
        assert request["platform_id"] == pid and request["district"] == "chengbei"
        assert (
            await gateway.get("/v1/disputes/legal-aid", headers=tokens.headers("department", department="hrss"))
        ).status_code == 403

        # The figures: per platform complaints, replies and escalations; the clock run out; the scorecard.
        async def figures():
            data = (await gateway.get("/v1/disputes/overview", headers=regulator)).json()
            mine = [p for p in data["platforms"] if p["platform_id"] == pid]
            done = (
                mine
                and mine[0]["complaints"] == 4
                and mine[0]["escalated_to_departments"] == 2
                and mine[0]["reply_overdue"] == 1
                and mine[0]["cases"] == 1
            )
            return (data, mine[0]) if done else None

        data, mine = await eventually(figures, timeout=60)
        assert mine["answered"] == 1 and mine["answered_on_time"] == 1 and mine["median_reply_hours"] is not None
        assert data["clocks_run_out"] == {"disputes.complaint_reply": 1} and data["legal_aid_requests"] == 1
        assert data["cases"]["by_stage"] == {"received": 1} and data["cases"]["by_sector"] == {"ride_hailing": 1}
        assert data["complaints"]["by_category"] == {"working_time_rest": 1, "pay": 1, "safety": 1, "discrimination": 1}
        await EventFeed(kafka.bootstrap_servers, prefix).enterprise(pid, name="示例出行平台")

        async def scorecard():
            r = await gateway.get(f"/v1/platforms/{pid}", headers=regulator)
            return r.json() if r.status_code == 200 else None

        detail = await eventually(scorecard, timeout=60)
        management = [p for p in detail["scorecard"]["principles"] if p["principle"] == "management"][0]
        # One of two settled complaints answered in time (50 %) is below the basic threshold (80 %).
        assert management["status"] == "scored" and management["score"] == 0
        assert "1/2 complaints answered in time" in management["points"][0]["evidence"]["threshold"]

        # The dashboard's disputes page, in Chinese, for a department signed in.
        page = httpx.AsyncClient(transport=gateway._transport, base_url="http://testserver")
        r = await page.post(
            "/signin", data={"token": tokens.token("department", department="emergency"), "next": "/disputes"}
        )
        assert r.status_code == 303
        r = await page.get("/disputes")
        assert r.status_code == 200 and "<h1>争议调处</h1>" in r.text
        assert f'data-platform-id="{pid}"' in r.text and "转交本部门的投诉线索" in r.text
        # Emergency's escalated clue is listed by its alert (the summary, not the worker's own words).
        safety_row = 'data-alert-id="{}"'.format(safety["alert_id"])
        assert safety_row in r.text and "投诉向主管部门反映" in r.text
        assert "雨雪天气仍要求限时送达" not in r.text
