"""Across services, through Kafka (M8): the emergency department records a red snow warning for a district in
the departments service; wages, which consumes departments' warnings, judges once the window is closed and
reported: a platform whose workers spent more than the policy's share of their usual minutes in the district
(the same hours over the previous weeks) raises `M8.work_during_red_warning`, routed by the gateway to M8's
units; a platform that cut its activity below the share raises none."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import date, datetime, timedelta

from newform_common.policy import BUSINESS_TZ, get_policy
from newform_common.testing import TokenFactory, app_client, eventually, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_gateway.main import create_app as create_gateway_app
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar
from ..kit.stack import E2E_PII_SECRET
from ..kit.wages import new_platform, new_worker, session_line

DISTRICT = "chengxi"
#: A Monday morning's red snow warning, closed and reported long before the test runs.
STARTS = datetime(2026, 11, 30, 8, 0, tzinfo=BUSINESS_TZ)
ENDS = STARTS + timedelta(hours=4)


def _lines(worker: str, contract: str, during_minutes: int, usual_minutes: int) -> str:
    """Sessions of one worker: `usual_minutes` from the window's start in each of the previous four weeks,
    `during_minutes` in the window itself."""
    weeks = get_policy().value("safety.red_warning.usual_weeks", STARTS)
    spans = [(STARTS - timedelta(weeks=k), usual_minutes) for k in range(1, weeks + 1)] + [(STARTS, during_minutes)]
    return "\n".join(
        json.dumps(
            session_line(
                f"s{i}", worker, start.isoformat(), (start + timedelta(minutes=m)).isoformat(), contract_id=contract
            )
        )
        for i, (start, m) in enumerate(spans)
    )


async def test_sessions_during_a_red_warning_above_the_share_of_the_usual_raise_an_m8_alert(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2erw").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "departments", "wages", "gateway"))
    wages_settings = WagesSettings(
        service_name=f"{prefix}-wages",
        database_url=await kit_migrated_database(new_database, "wages"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.5,
        contracts_topic=f"{prefix}-contracts.events",
        departments_topic=f"{prefix}-departments.events",
        unions_topic=f"{prefix}-unions.events",
    )
    departments_settings = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=await kit_migrated_database(new_database, "departments"),
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        pii_secret=E2E_PII_SECRET,
        relay_poll_interval_s=0.2,
        contracts_topic=f"{prefix}-contracts.events",
    )
    settings = gateway_settings(
        prefix, await migrated_database(new_database), kafka.bootstrap_servers, tokens.public_pem
    )
    feed = EventFeed(kafka.bootstrap_servers, topics={"contracts": f"{prefix}-contracts.events"})
    busy, limited = new_platform(), new_platform()
    wages_app = create_wages_app(wages_settings)
    async with (
        app_client(wages_app) as wages,
        app_client(create_departments_app(departments_settings)) as departments,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await asyncio.wait_for(wages_app.state.consumers[0].started.wait(), timeout=120)
        contracts = {}
        for pid, during, usual in ((busy, 240, 120), (limited, 30, 120)):
            worker = new_worker()
            contracts[pid] = await feed.signed(
                worker_id=worker, platform_id=pid, district=DISTRICT, start=date(2026, 1, 1)
            )
            r = await wages.post(
                "/v1/sessions/batches",
                headers={
                    **tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid),
                    "Content-Type": "application/x-ndjson",
                },
                content=_lines(worker, contracts[pid], during, usual),
            )
            assert r.status_code == 201 and r.json()["accepted"] == 5, r.text

        async def engagements_known():
            n = await scalar(
                wages_settings.database_url,
                "select count(*) from engagements where contract_id in (:a, :b)",
                a=contracts[busy],
                b=contracts[limited],
            )
            return n == 2 or None

        await eventually(engagements_known, timeout=120)

        r = await departments.post(
            "/v1/weather-warnings",
            headers=tokens.headers("department", department="emergency"),
            json={
                "reference": f"XNQX-BX-{secrets.token_hex(3)}",
                "district": DISTRICT,
                "level": "red",
                "hazard": "snow",
                "starts_at": STARTS.isoformat(),
                "ends_at": ENDS.isoformat(),
                "source": "西宁市气象台",
                "observed_at": (STARTS - timedelta(hours=1)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        warning_id = r.json()["fact_id"]
        emergency = tokens.headers("department", department="emergency")

        async def alert():
            items = (await gateway.get("/v1/alerts", headers=emergency, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["subject_id"] == warning_id and a["rule"] == "M8.work_during_red_warning"]
            return found or None

        found = await eventually(alert, timeout=120)
        assert [a["platform_id"] for a in found] == [busy]  # the platform that cut its activity raises none
        [raised] = found
        assert raised["measure"] == "M8" and raised["source_service"] == "wages" and raised["district"] == DISTRICT
        assert {"emergency", "hrss", "union", "transport", "market", f"county:{DISTRICT}"} <= set(raised["departments"])
        detail = (await gateway.get(f"/v1/alerts/{raised['alert_id']}", headers=emergency)).json()
        evidence = detail["evidence"][0]["evidence"]
        assert (evidence["minutes"], evidence["usual_minutes"], evidence["share_percent"]) == (240, 120, 200)
        assert evidence["max_share_percent"] == get_policy().value(
            "safety.red_warning.max_activity_share_percent", STARTS
        )
