"""Across services, through real Kafka: a collective contract published by unions binds a platform's pay in
wages (劳动合同法 art. 55), and a statement below its agreed piece rate becomes a gateway alert routed to the
departments of M6, the union among them; a statement at the agreed rate raises none."""

from __future__ import annotations

import asyncio

from newform_common.testing import TokenFactory, app_client, eventually, fetch, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_gateway.main import create_app as create_gateway_app
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from ..kit.collective import collective_in_force, piece_rate
from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics
from ..kit.wages import new_platform, new_worker, statement

RULE = "M6.collective_piece_rate_below"


async def test_pay_below_a_collective_contracts_piece_rate_becomes_a_routed_alert(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2ec").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "unions", "wages", "gateway"))
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
            unions_topic=f"{prefix}-unions.events",
        )
    )
    settings = gateway_settings(
        prefix, await migrated_database(new_database), kafka.bootstrap_servers, tokens.public_pem
    )
    feed = EventFeed(kafka.bootstrap_servers, prefix=prefix)
    pid, worker = new_platform(), new_worker()
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    regulator = tokens.headers("regulator")

    async with app_client(wages_app) as wages, app_client(create_gateway_app(settings)) as gateway:
        await asyncio.wait_for(asyncio.gather(*(c.started.wait() for c in wages_app.state.consumers)), timeout=120)
        cc = await collective_in_force(feed, [pid], piece_rates=[piece_rate("meal", 450, occupation="courier")])
        contract = await feed.signed(worker_id=worker, platform_id=pid, district="chengxi", occupation="courier")

        async def both_known():
            known = await fetch(wages_url, "select 1 from collective_contracts where collective_contract_id = :c", c=cc)
            signed = await fetch(
                wages_url, "select 1 from engagements where contract_id = :c and status = 'signed'", c=contract
            )
            return bool(known and signed)

        await eventually(both_known, timeout=120)
        low = {"piece_fen": 336_000, "piece_orders": 800, "gross_fen": 636_000, "paid_fen": 636_000}
        r = await wages.post("/v1/statements", headers=platform, json=statement("below", contract, worker, **low))
        assert r.status_code == 201, r.text
        below = r.json()["statement_id"]
        assert RULE in {f["rule"] for f in r.json()["findings"]}
        at = {"piece_fen": 360_000, "piece_orders": 800, "gross_fen": 660_000, "paid_fen": 660_000}
        r = await wages.post("/v1/statements", headers=platform, json=statement("at", contract, worker, **at))
        assert r.status_code == 201 and RULE not in {f["rule"] for f in r.json()["findings"]}, r.text

        async def alert():
            items = (await gateway.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["subject_id"] == below and a["rule"] == RULE]
            return found[0] if found else None

        found = await eventually(alert, timeout=60)
        assert found["measure"] == "M6" and found["platform_id"] == pid and found["district"] == "chengxi"
        assert {"hrss", "union", "postal", "county:chengxi"} <= set(found["departments"])
        detail = (await gateway.get(f"/v1/alerts/{found['alert_id']}", headers=regulator)).json()
        assert detail["evidence"][0]["evidence"]["collective_contract_id"] == cc
