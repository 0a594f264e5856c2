"""Across services, through Kafka (M7, 劳动合同法 art. 55): a collective contract agreeing a bad-weather allowance
of 30 yuan a day, a red snow warning the emergency department records in departments over two days, workers'
sessions on both days. Wages judges each statement's `bad_weather_allowance_fen` against days worked in the
warning × the agreed rate, when the statement is judged and again when the warning or the contract arrives later;
the gateway routes `M7.collective_bad_weather_allowance_below`.

- 30 yuan paid for two red days, sent *before* the warning: one alert once the warning arrives;
- 60 yuan paid: none;
- a worker the contract does not bind (another occupation): none;
- a worker with no sessions reported: none (insufficient facts, never a finding from absence of data);
- a platform whose collective contract comes into force *after* its statement and the warning: one alert;
- every re-judging (the warning, the second contract) raises nothing twice."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import date, datetime, timedelta

from newform_common.policy import BUSINESS_TZ
from newform_common.testing import TokenFactory, app_client, eventually, unique_name
from newform_common.testing import migrated_database as kit_migrated_database
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_gateway.main import create_app as create_gateway_app
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from ..kit.collective import collective_in_force
from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar
from ..kit.stack import E2E_PII_SECRET
from ..kit.wages import new_platform, new_worker, session_line, statement

DISTRICT = "chengbei"
RULE = "M7.collective_bad_weather_allowance_below"
MONDAY = datetime(2026, 11, 30, 0, 0, tzinfo=BUSINESS_TZ)
#: A red snow warning from Monday 06:00 to Wednesday 06:00 (Beijing time): two business days worked in it.
STARTS, ENDS = MONDAY + timedelta(hours=6), MONDAY + timedelta(days=2, hours=6)


def _week(line: str, contract: str, worker: str, allowance_fen: int) -> dict:
    return statement(
        line,
        contract,
        worker,
        period_start="2026-11-30",
        period_end="2026-12-06",
        due_date="2026-12-10",
        gross_fen=60_000 + allowance_fen,
        base_fen=60_000,
        bad_weather_allowance_fen=allowance_fen,
        normal_hours=16,
        paid_fen=60_000 + allowance_fen,
        paid_on="2026-12-07",
    )


def _sessions(worker: str, contract: str) -> str:
    """Monday and Tuesday 10:00–14:00 (inside the warning) and Thursday (after it)."""
    lines = []
    for day in (0, 1, 3):
        start = MONDAY + timedelta(days=day, hours=10)
        lines.append(
            session_line(
                f"s-{worker[-6:]}-{day}",
                worker,
                start.isoformat(),
                (start + timedelta(hours=4)).isoformat(),
                contract_id=contract,
            )
        )
    return "\n".join(json.dumps(x) for x in lines)


def _settings(prefix: str, kafka, tokens, wages_db: str, departments_db: str):
    wages = WagesSettings(
        service_name=f"{prefix}-wages",
        database_url=wages_db,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=3600,
        contracts_topic=f"{prefix}-contracts.events",
        departments_topic=f"{prefix}-departments.events",
        unions_topic=f"{prefix}-unions.events",
    )
    departments = DepartmentsSettings(
        service_name=f"{prefix}-departments",
        database_url=departments_db,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        pii_secret=E2E_PII_SECRET,
        relay_poll_interval_s=0.2,
        contracts_topic=f"{prefix}-contracts.events",
    )
    return wages, departments


async def test_days_worked_in_a_red_warning_under_a_collective_allowance_raise_one_m7_alert(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2ebw").replace("_", "")
    services = ("contracts", "unions", "departments", "wages", "gateway")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=services)
    wages_settings, departments_settings = _settings(
        prefix,
        kafka,
        tokens,
        await kit_migrated_database(new_database, "wages"),
        await kit_migrated_database(new_database, "departments"),
    )
    db = wages_settings.database_url
    settings = gateway_settings(
        prefix, await migrated_database(new_database), kafka.bootstrap_servers, tokens.public_pem
    )
    feed = EventFeed(kafka.bootstrap_servers, prefix=prefix)
    bound, later = new_platform(), new_platform()
    emergency = tokens.headers("department", department="emergency")
    regulator = tokens.headers("regulator")  # M7's alerts are not the emergency department's

    def platform(pid: str) -> dict:
        return {
            **tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid),
            "Content-Type": "application/x-ndjson",
        }

    wages_app = create_wages_app(wages_settings)
    async with (
        app_client(wages_app) as wages,
        app_client(create_departments_app(departments_settings)) as departments,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await asyncio.wait_for(asyncio.gather(*(c.started.wait() for c in wages_app.state.consumers)), timeout=120)
        cc = await collective_in_force(
            feed, [bound], occupations=["food_delivery"], bad_weather_allowance_fen_per_day=3_000
        )
        people = {  # name: (platform, occupation)
            "thirty": (bound, "food_delivery"),
            "sixty": (bound, "food_delivery"),
            "unbound": (bound, "ride_hailing"),
            "no_sessions": (bound, "food_delivery"),
            "later": (later, "food_delivery"),
        }
        workers = {name: new_worker() for name in people}
        contracts = {
            name: await feed.signed(
                worker_id=workers[name], platform_id=pid, occupation=occ, district=DISTRICT, start=date(2026, 1, 1)
            )
            for name, (pid, occ) in people.items()
        }

        async def known():
            n = await scalar(
                db, "select count(*) from engagements where contract_id = any(:ids)", ids=[*contracts.values()]
            )
            c = await scalar(db, "select count(*) from collective_contracts where collective_contract_id = :c", c=cc)
            return (n == len(contracts) and c == 1) or None

        await eventually(known, timeout=120)
        for name in ("thirty", "sixty", "unbound", "later"):
            pid = people[name][0]
            r = await wages.post(
                "/v1/sessions/batches", headers=platform(pid), content=_sessions(workers[name], contracts[name])
            )
            assert r.status_code == 201 and r.json()["accepted"] == 3, r.text

        async def post(name: str, allowance_fen: int) -> str:
            pid = people[name][0]
            line = _week(name, contracts[name], workers[name], allowance_fen)
            r = await wages.post("/v1/statements/batches", headers=platform(pid), content=json.dumps(line))
            assert r.status_code == 201 and r.json()["accepted"] == 1, r.text
            return await scalar(db, "select id from statements where platform_id = :p and line_id = :l", p=pid, l=name)

        ids = {"thirty": await post("thirty", 3_000)}  # before the warning: nothing to judge yet
        warning = {
            "reference": f"XNQX-BX-{secrets.token_hex(3)}",
            "district": DISTRICT,
            "level": "red",
            "hazard": "snow",
            "starts_at": STARTS.isoformat(),
            "ends_at": ENDS.isoformat(),
            "source": "西宁市气象台",
            "observed_at": (STARTS - timedelta(hours=1)).isoformat(),
        }
        r = await departments.post("/v1/weather-warnings", headers=emergency, json=warning)
        assert r.status_code == 201, r.text
        warning_id = r.json()["fact_id"]

        async def warning_known():
            n = await scalar(db, "select count(*) from weather_warnings where warning_id = :w", w=warning_id)
            return n == 1 or None

        await eventually(warning_known, timeout=120)
        ids["sixty"] = await post("sixty", 6_000)
        ids["unbound"] = await post("unbound", 0)
        ids["no_sessions"] = await post("no_sessions", 0)
        ids["later"] = await post("later", 0)
        late_cc = await collective_in_force(feed, [later], bad_weather_allowance_fen_per_day=3_000)
        expected = {ids["thirty"], ids["later"]}

        async def alerts():
            items = (await gateway.get("/v1/alerts", headers=regulator, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["rule"] == RULE and a["platform_id"] in (bound, later)]
            return found if {a["subject_id"] for a in found} >= expected else None

        found = await eventually(alerts, timeout=120)
        assert sorted(a["subject_id"] for a in found) == sorted(expected)
        for a in found:
            assert a["measure"] == "M7" and a["source_service"] == "wages" and a["district"] == DISTRICT
            assert {"hrss", "union", f"county:{DISTRICT}"} <= set(a["departments"])
        thirty = next(a for a in found if a["subject_id"] == ids["thirty"])
        evidence = (await gateway.get(f"/v1/alerts/{thirty['alert_id']}", headers=regulator)).json()["evidence"]
        e = evidence[0]["evidence"]
        assert e["collective_contract_id"] == cc and e["legal_source"] == "劳动合同法 第五十五条"
        assert e["bad_weather_days"] == ["2026-11-30", "2026-12-01"] and e["owed_fen"] == 6_000
        assert e["warnings"][0]["warning_id"] == warning_id
        later_alert = next(a for a in found if a["subject_id"] == ids["later"])
        e = (await gateway.get(f"/v1/alerts/{later_alert['alert_id']}", headers=regulator)).json()["evidence"]
        assert e[0]["evidence"]["collective_contract_id"] == late_cc

        # the contract and the warning stated again: judged again, nothing raised twice
        await collective_in_force(
            feed, [later], collective_contract_id=late_cc, bad_weather_allowance_fen_per_day=3_000
        )
        r = await departments.post("/v1/weather-warnings", headers=emergency, json={**warning, "hazard": "snow"})
        assert r.status_code in (200, 201), r.text
        marker = await collective_in_force(feed, [new_platform()])

        async def all_consumed():
            n = await scalar(
                db, "select count(*) from collective_contracts where collective_contract_id = :c", c=marker
            )
            return n == 1 or None

        await eventually(all_consumed, timeout=120)
        n = await scalar(db, "select count(*) from findings where rule = :r", r=RULE)
        assert n == 2
