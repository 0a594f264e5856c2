"""Across services, through Kafka: the real training app feeds the real gateway's subsidy figures (M13)."""

from __future__ import annotations

import httpx

from newform_common.kafka import ensure_topics
from newform_common.testing import eventually, migrated_database, running_service, unique_name
from newform_gateway.main import create_app as create_gateway_app
from newform_training.config import Settings as TrainingSettings
from newform_training.main import create_app as create_training_app

from ..kit.gateway import gateway_settings
from ..kit.training import TrainingApi, new_worker


async def test_claims_paid_refused_and_duplicated_add_up_in_the_gateway_and_its_page(new_database, kafka, tokens):
    prefix = unique_name("e2etr").replace("_", "")
    await ensure_topics(kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("contracts", "training", "gateway")])
    training_url = await migrated_database(new_database, "training")
    training_settings = TrainingSettings(
        service_name=f"{prefix}-training",
        database_url=training_url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        contracts_topic=f"{prefix}-contracts.events",
    )
    gateway_url = await migrated_database(new_database, "gateway")
    gw_settings = gateway_settings(prefix, gateway_url, kafka.bootstrap_servers, tokens.public_pem)

    async with (
        running_service(create_training_app, training_settings, tokens) as t,
        running_service(create_gateway_app, gw_settings, tokens) as gw,
    ):
        api = TrainingApi(client=t.client, tokens=tokens, url=training_url, settings=training_settings)
        platform = unique_name("plat")
        enterprise = await api.provider("enterprise", platform_id=platform)
        body = await api.body()
        course = await api.course(enterprise, headers=api.as_platform(platform))
        paid_worker, refused_worker = new_worker(), new_worker()
        numbers = {}
        for w in (paid_worker, refused_worker):
            await api.lives_in(w)
            numbers[w] = await api.certificate(body, w, course)
        await api.client.put("/v1/budgets/chengxi/2026", headers=api.hrss, json={"total_fen": 1_000_000})
        claim_ids = {}
        for w in (paid_worker, refused_worker):
            r = await api.client.post(
                "/v1/claims",
                headers=api.as_worker(w),
                json={"certificate_number": numbers[w], "training_district": "chengxi"},
            )
            assert r.status_code == 201, r.text
            claim_ids[w] = r.json()["claim_id"]
        duplicate = await api.client.post(
            "/v1/claims",
            headers=api.as_platform(platform),
            json={"certificate_number": numbers[paid_worker], "training_district": "chengxi"},
        )
        assert duplicate.status_code == 409
        assert (
            await api.client.post(
                f"/v1/claims/{claim_ids[paid_worker]}/decision", headers=api.hrss, json={"decision": "approve"}
            )
        ).json()["status"] == "approved"
        assert (
            await api.client.post(
                f"/v1/claims/{claim_ids[paid_worker]}/payment", headers=api.hrss, json={"payment_reference": "XNCZ-9"}
            )
        ).status_code == 200
        await api.client.post(
            f"/v1/claims/{claim_ids[refused_worker]}/decision",
            headers=api.hrss,
            json={"decision": "reject", "reason": "培训签到记录不全"},
        )

        async def settled():
            s = (await gw.client.get("/v1/training/summary", headers=gw.regulator)).json()
            return s if s["paid"] and len(s["refused"]) == 2 else None

        s = await eventually(settled, timeout=60, interval=0.5)
        assert s["certificates_issued"] == 2 and s["workers_certified"] == 2
        assert s["paid"] == [
            {
                "district": "chengxi",
                "occupation": "on_demand_delivery",
                "level": 5,
                "channel": "worker",
                "claims": 1,
                "amount_fen": 100000,
            }
        ]
        assert s["budget_use"] == [
            {"district": "chengxi", "year": 2026, "paid_fen": 100000, "committed_fen": 100000, "waiting_for_budget": 0}
        ]
        assert sorted((r["reason"], r["claims"]) for r in s["refused"]) == [
            ("M13.certificate_already_claimed", 1),
            ("review", 1),
        ]
        assert (await gw.client.get("/v1/training/summary", headers=api.as_platform(platform))).status_code == 403

        # The duplicate is an alert for hrss, M13's lead unit.
        async def alert():
            items = (
                await gw.client.get("/v1/alerts", headers=gw.department("hrss"), params={"measure": "M13"})
            ).json()["items"]
            return [a for a in items if a["rule"] == "M13.certificate_claimed_twice"]

        [found] = await eventually(alert, timeout=60, interval=0.5)
        assert found["subject_id"] == numbers[paid_worker]

        # The platform's scorecard page counts its workers trained (registered with it, certified).
        for w in (paid_worker, refused_worker):
            await gw_registered(gw, w, platform)
        detail = await eventually(lambda: _trained(gw, platform), timeout=30)
        assert detail == 2

        async with httpx.AsyncClient(transport=gw.client._transport, base_url="http://testserver") as browser:
            await browser.post("/signin", data={"token": tokens.token("regulator"), "next": "/training"})
            page = await browser.get("/training")
        assert page.status_code == 200 and "职业技能培训补贴" in page.text
        assert "城西区" in page.text and "1,000.00" in page.text and "培训" in page.text


async def gw_registered(gw, worker_id: str, platform_id: str) -> None:
    """A registration as contracts would have published it (the gateway's read model)."""
    from newform_common.testing import execute

    await execute(
        gw.url,
        "insert into enterprises (enterprise_id, name, kind, platform_id, occupations, "
        "registered_at) values (:p, :p, 'platform', :p, '[]', now()) on conflict do nothing",
        p=platform_id,
    )
    await execute(
        gw.url,
        "insert into worker_registrations (registration_id, worker_id, platform_id, active, "
        "registered_at) values (:r, :w, :p, true, now())",
        r=f"reg-{worker_id}",
        w=worker_id,
        p=platform_id,
    )


async def _trained(gw, platform_id: str) -> int | None:
    r = await gw.client.get(f"/v1/platforms/{platform_id}", headers=gw.regulator)
    return r.json().get("workers_trained") if r.status_code == 200 else None
