"""Across services, through Kafka: the real unions app feeds the real gateway (M17, M10) — coverage per
platform, a collective contract in force, a consultation's outcome on the page, and an unanswered
consultation's finding routed to the union department as an alert."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

from newform_common import clock
from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.kafka import ensure_topics
from newform_common.policy import business_date
from newform_common.testing import (
    eventually,
    migrated_database,
    resident_id,
    running_service,
    unique_name,
    worker_id_of,
)
from newform_gateway.main import create_app as create_gateway_app
from newform_unions.config import Settings as UnionsSettings
from newform_unions.main import create_app as create_unions_app
from newform_unions.service import DEADLINE_HANDLERS

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings


def today() -> date:
    return business_date(clock.now())


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()


def platform() -> str:
    return "plt-" + secrets.token_hex(4)


def worker() -> str:
    return worker_id_of(resident_id())


async def test_unions_facts_reach_the_gateway_page_and_its_alerts(new_database, kafka, tokens):
    prefix = unique_name("e2eun").replace("_", "")
    await ensure_topics(kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("contracts", "unions", "gateway")])
    unions_url = await migrated_database(new_database, "unions")
    unions_settings = UnionsSettings(
        service_name=f"{prefix}-unions",
        database_url=unions_url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        run_deadlines=False,
        contracts_topic=f"{prefix}-contracts.events",
    )
    gateway_url = await migrated_database(new_database, "gateway")
    gw_settings = gateway_settings(prefix, gateway_url, kafka.bootstrap_servers, tokens.public_pem)
    contracts = EventFeed(kafka.bootstrap_servers, prefix)

    async with (
        running_service(create_unions_app, unions_settings, tokens) as u,
        running_service(create_gateway_app, gw_settings, tokens) as gw,
    ):
        pid, members = platform(), [worker(), worker()]
        union = {"union_id": f"un-{prefix[-8:]}", "name": "某平台工会", "kind": "enterprise"}
        r = await u.client.post(
            "/v1/unions",
            headers=u.department("union"),
            json={**union, "platform_ids": [pid], "established_on": days_ago(100)},
        )
        assert r.status_code == 201, r.text
        for w in members:
            await contracts.worker(w, pid)
        joined = members[0]

        async def applied():
            r = await u.client.post(
                "/v1/memberships", headers=u.as_worker(joined), json={"union_id": union["union_id"], "platform_id": pid}
            )
            return r.json() if r.status_code == 201 else None

        membership = await eventually(applied)
        await u.client.post(
            f"/v1/memberships/{membership['membership_id']}/decision",
            headers=u.department("union"),
            json={"decision": "accept"},
        )

        cc = await u.client.post(
            "/v1/collective_contracts",
            headers=u.department("union"),
            json={
                "union_id": union["union_id"],
                "kind": "enterprise",
                "title": "集体合同",
                "platform_ids": [pid],
                "effective_from": days_ago(5),
                "terms": {
                    "piece_rates": [{"occupation": "food_delivery", "order_type": "standard", "min_rate_fen": 500}]
                },
            },
        )
        cid = cc.json()["collective_contract_id"]
        for step, headers, body in (
            ("signing", u.department("union"), {"signed_on": days_ago(4)}),
            ("submission", u.as_platform(pid), {"submitted_on": days_ago(3)}),
            ("review", u.department("hrss"), {"decision": "approve", "on": today().isoformat()}),
        ):
            r = await u.client.post(f"/v1/collective_contracts/{cid}/{step}", headers=headers, json=body)
            assert r.status_code == 200, r.text

        consultation = await u.client.post(
            "/v1/consultations",
            headers=u.department("union"),
            json={
                "union_id": union["union_id"],
                "platform_id": pid,
                "topic": "order_allocation",
                "subject": "派单规则协商",
                "requested_on": days_ago(40),
            },
        )
        assert consultation.status_code == 201, consultation.text
        db = Database(unions_url, service=unions_settings.service_name)
        try:
            await fire_due(db, DEADLINE_HANDLERS, now=datetime.now(UTC) + timedelta(days=1))
        finally:
            await db.dispose()

        # The finding is an alert for the union department, one of M10's responsible units.
        async def alert():
            items = (
                await gw.client.get("/v1/alerts", headers=gw.department("union"), params={"measure": "M10"})
            ).json()["items"]
            return [a for a in items if a["rule"] == "M10.consultation_unanswered" and a["platform_id"] == pid]

        [found] = await eventually(alert, timeout=60, interval=0.5)
        assert found["subject_id"] == consultation.json()["consultation_id"]

        gw.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))

        async def page():
            text = (await gw.client.get("/unions")).text
            return text if cid in text and "50%" in text and "order_allocation" in text else None

        text = await eventually(page, timeout=60, interval=0.5)
        assert joined not in text  # members are counted, never listed

        # The platform's scorecard shows its union coverage beside its democratic-consultation score (M17).
        async def representation():
            card = (await gw.client.get(f"/v1/platforms/{pid}/scorecard", headers=gw.regulator)).json()
            (column,) = [p for p in card["principles"] if p["principle"] == "representation"]
            unions = column.get("unions")
            return unions if unions and unions["collective_contracts_in_force"] == 1 else None

        figures = await eventually(representation, timeout=60, interval=0.5)
        # the platform's row of union coverage: 2 registered workers, 1 of them a member (1 × 100 // 2)
        assert figures == {
            "members": 1,
            "registered_workers": 2,
            "coverage_percent": 50,
            "collective_contracts_in_force": 1,
        }
