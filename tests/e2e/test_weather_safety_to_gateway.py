"""Across services, through Kafka (M8): the emergency department records a red snow warning for a district in
the departments service; contracts, which holds the platforms engaging workers there, starts a response clock
per platform; a platform that declares its response in time raises nothing, one that declares none raises
`M8.weather_no_response`, routed by the gateway to M8's units and the district's government. A rule notice
whose delivery time limit is below its parameter raises `M8.indicator_delivery_time_too_short` the same way."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from newform_common import clock
from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_common.identity import make_resident_id
from newform_common.kafka import ensure_topics
from newform_common.policy import get_policy
from newform_common.testing import eventually, migrated_database, running_service, unique_name
from newform_contracts.main import create_app as create_contracts_app
from newform_contracts.safety.service import DEADLINE_HANDLERS
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_gateway.main import create_app as create_gateway_app

from ..kit.contracts import contract_body
from ..kit.stack import E2E_PII_SECRET, contracts_settings_for, gateway_settings_for, register_platform

DISTRICT = "chengxi"


async def _engaging_in_district(c, tokens, pid: str) -> None:
    """The platform registered, with a worker under a live (sent) contract whose place of work is DISTRICT."""
    await register_platform(c, tokens, pid, district="chengzhong", occupation="food_delivery")
    platform = tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
    id_number = make_resident_id("630102", date(1992, 3, 4), f"{secrets.randbelow(1000):03d}")
    r = await c.post(
        "/v1/workers",
        headers=platform,
        json={
            "name": "王五",
            "id_number": id_number,
            "phone": "137" + f"{secrets.randbelow(10**8):08d}",
            "occupation": "food_delivery",
            "household_registration_place": "青海省西宁市城西区",
            "residence_district": DISTRICT,
        },
    )
    assert r.status_code == 201, r.text
    body = contract_body(r.json()["registration_id"], pid, district=DISTRICT, start_date="2026-01-01")
    r = await c.post("/v1/contracts", headers=platform, json=body)
    assert r.status_code == 201, r.text
    assert (await c.post(f"/v1/contracts/{r.json()['contract_id']}/send", headers=platform)).status_code == 200


async def test_a_red_snow_warning_without_response_reaches_m8_units_and_a_timely_response_raises_none(
    new_database, kafka, tokens
):
    prefix = unique_name("e2em8").replace("_", "")
    await ensure_topics(
        kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("contracts", "departments", "gateway")]
    )
    contracts_settings = await contracts_settings_for(
        new_database, kafka, tokens, prefix, departments_topic=f"{prefix}-departments.events"
    )
    departments_settings = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=await migrated_database(new_database, "departments"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        pii_secret=E2E_PII_SECRET,
        relay_poll_interval_s=0.2,
        contracts_topic=f"{prefix}-contracts.events",
    )
    gw_settings = await gateway_settings_for(new_database, kafka, tokens, prefix)
    silent, answering = "p" + secrets.token_hex(5), "p" + secrets.token_hex(5)
    emergency = tokens.headers("department", department="emergency")
    async with (
        running_service(create_contracts_app, contracts_settings, tokens) as contracts,
        running_service(create_departments_app, departments_settings, tokens) as departments,
        running_service(create_gateway_app, gw_settings, tokens) as gw,
    ):
        c = contracts.client
        for pid in (silent, answering):
            await _engaging_in_district(c, tokens, pid)
        starts = clock.now() - timedelta(minutes=10)
        r = await departments.client.post(
            "/v1/weather-warnings",
            headers=emergency,
            json={
                "reference": unique_name("XNQX-BX"),
                "district": DISTRICT,
                "level": "red",
                "hazard": "snow",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=12)).isoformat(),
                "source": "西宁市气象台",
                "observed_at": starts.isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        warning_id = r.json()["fact_id"]
        answering_headers = tokens.headers("platform", subject=f"backend-{answering}", platform_id=answering)

        async def known():
            items = (await c.get("/v1/weather-warnings", headers=answering_headers)).json()["items"]
            return next((w for w in items if w["warning_id"] == warning_id), None)

        held = await eventually(known, timeout=90)
        minutes = get_policy().value("safety.weather_warning.response_within_minutes", starts)
        assert datetime.fromisoformat(held["response_due"]) == starts + timedelta(minutes=minutes)

        notice = await c.post(
            "/v1/rule-notices",
            headers=answering_headers,
            json={
                "topic": "order_allocation",
                "title": "暴雪天气派单调整",
                "content": "城西区暴雪红色预警期间限制派单，配送时限延长30分钟。",
                "consultation": {"consulted_with": "union", "consulted_on": "2026-11-01", "opinion": "同意"},
                "published_on": "2026-11-02",
                "effective_on": "2026-11-20",
                # A 20-minute delivery time limit: below the parameter, an M8 finding on the notice.
                "safety_indicators": {"min_delivery_time_limit_minutes": 20, "on_time_rate_target_percent": 90},
            },
        )
        assert notice.status_code == 201, notice.text
        assert [f["rule"] for f in notice.json()["findings"]] == ["M8.indicator_delivery_time_too_short"]
        response = await c.post(
            "/v1/weather-responses",
            headers=answering_headers,
            json={
                "warning_id": warning_id,
                "dispatch": "limited",
                "completion_time_extended_minutes": 30,
                "rule_notice_id": notice.json()["notice_id"],
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["findings"] == []

        # The response time passes (the clocks are fired as the deadline worker would then).
        db = Database(contracts.url, service=contracts_settings.service_name, domain=contracts_settings.domain)
        try:
            fired = await fire_due(db, DEADLINE_HANDLERS, now=starts + timedelta(minutes=minutes + 1))
        finally:
            await db.dispose()
        assert {d.subject_id for d in fired} == {f"{warning_id}:{silent}"}

        hrss = tokens.headers("department", department="hrss")

        async def alerts():
            items = (await gw.client.get("/v1/alerts", headers=hrss, params={"limit": 500})).json()["items"]
            mine = [a for a in items if a["platform_id"] in (silent, answering) and a["measure"] == "M8"]
            both = {"M8.weather_no_response", "M8.indicator_delivery_time_too_short"}
            return mine if {a["rule"] for a in mine} >= both else None

        found = await eventually(alerts, timeout=90)
        by_rule = {a["rule"]: a for a in found}
        no_response = by_rule["M8.weather_no_response"]
        assert no_response["platform_id"] == silent and no_response["subject_id"] == warning_id
        assert [a["platform_id"] for a in found if a["rule"] == "M8.weather_no_response"] == [silent]
        units = set(get_policy().departments_for_measure("M8", starts.date()))
        assert {"emergency", "hrss", "union", "transport", f"county:{DISTRICT}"} <= set(no_response["departments"])
        assert units - {"county"} <= set(no_response["departments"])
        assert by_rule["M8.indicator_delivery_time_too_short"]["platform_id"] == answering
        # The emergency department, one of M8's units, sees the alert too.
        mine = (
            await gw.client.get(
                "/v1/alerts", headers=tokens.headers("department", department="emergency"), params={"limit": 500}
            )
        ).json()["items"]
        assert no_response["alert_id"] in {a["alert_id"] for a in mine}
