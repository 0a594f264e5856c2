"""Across services, through Kafka (M8): lateness penalties on pay statements against a red snow warning the
emergency department records in departments. Wages judges a penalty when its statement arrives and again
when a warning arrives after it (recorded late); the gateway routes `M8.penalty_during_warning` to M8's units.

- a late-delivery penalty incurred inside the red window, on a statement sent *before* the warning: one alert;
- a punctuality penalty inside the window on a statement sent *after* the warning: one alert;
- a penalty incurred after the window: none;
- a penalty without a time on a day wholly inside the window: one alert (the period cannot be outside it);
- the warning amended (its reference stated again, now without an end: in force until lifted) judges again:
  Wednesday's penalty is now inside it (one new finding), the others are not raised twice;
- a penalty time without a time zone is refused (the line's error), never guessed."""

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

from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics, scalar
from ..kit.stack import E2E_PII_SECRET
from ..kit.wages import new_platform, new_worker, statement

DISTRICT = "chengbei"
#: A red snow warning over the whole of Monday 30 November 2026 (Beijing time), and a little around it.
STARTS = datetime(2026, 11, 29, 20, 0, tzinfo=BUSINESS_TZ)
ENDS = datetime(2026, 12, 1, 6, 0, tzinfo=BUSINESS_TZ)
RULE = "M8.penalty_during_warning"


def _day_statement(line: str, contract: str, worker: str, day: date, reason: str, at: datetime | None) -> dict:
    deduction = {"reason": reason, "amount_fen": 300}
    if at is not None:
        deduction["incurred_at"] = at.isoformat()
    return statement(
        line,
        contract,
        worker,
        period_start=day.isoformat(),
        period_end=day.isoformat(),
        due_date=(day + timedelta(days=5)).isoformat(),
        gross_fen=30_000,
        base_fen=30_000,
        normal_hours=8,
        paid_fen=29_700,
        paid_on=(day + timedelta(days=3)).isoformat(),
        deductions=[deduction],
    )


def _settings(prefix: str, kafka, tokens, wages_db: str, departments_db: str):
    wages = WagesSettings(
        service_name=f"{prefix}-wages",
        database_url=wages_db,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        deadline_poll_interval_s=0.5,
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


async def test_lateness_penalties_inside_a_red_warning_raise_one_m8_alert_each(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("e2epw").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix, services=("contracts", "departments", "wages", "gateway"))
    wages_settings, departments_settings = _settings(
        prefix,
        kafka,
        tokens,
        await kit_migrated_database(new_database, "wages"),
        await kit_migrated_database(new_database, "departments"),
    )
    settings = gateway_settings(
        prefix, await migrated_database(new_database), kafka.bootstrap_servers, tokens.public_pem
    )
    feed = EventFeed(kafka.bootstrap_servers, topics={"contracts": f"{prefix}-contracts.events"})
    platform = new_platform()
    platform_headers = {
        **tokens.headers("platform", subject=f"backend-{platform}", platform_id=platform),
        "Content-Type": "application/x-ndjson",
    }
    emergency = tokens.headers("department", department="emergency")
    wages_app = create_wages_app(wages_settings)
    async with (
        app_client(wages_app) as wages,
        app_client(create_departments_app(departments_settings)) as departments,
        app_client(create_gateway_app(settings)) as gateway,
    ):
        await asyncio.wait_for(wages_app.state.consumers[0].started.wait(), timeout=120)
        workers = {name: new_worker() for name in ("before", "after", "outside", "untimed")}
        contracts = {
            name: await feed.signed(worker_id=w, platform_id=platform, district=DISTRICT, start=date(2026, 1, 1))
            for name, w in workers.items()
        }

        async def engagements_known():
            n = await scalar(
                wages_settings.database_url,
                "select count(*) from engagements where contract_id = any(:ids)",
                ids=list(contracts.values()),
            )
            return n == len(contracts) or None

        await eventually(engagements_known, timeout=120)
        monday, wednesday = date(2026, 11, 30), date(2026, 12, 2)
        early = [
            _day_statement("before", contracts["before"], workers["before"], monday, "late_delivery_penalty",
                           datetime(2026, 11, 30, 10, 30, tzinfo=BUSINESS_TZ)),
            _day_statement("outside", contracts["outside"], workers["outside"], wednesday, "late_delivery_penalty",
                           datetime(2026, 12, 2, 12, 0, tzinfo=BUSINESS_TZ)),
            _day_statement("untimed", contracts["untimed"], workers["untimed"], monday, "punctuality_penalty", None),
        ]  # fmt: skip
        r = await wages.post(
            "/v1/statements/batches", headers=platform_headers, content="\n".join(json.dumps(s) for s in early)
        )
        assert r.status_code == 201 and r.json()["accepted"] == 3, r.text

        reference = f"XNQX-BX-{secrets.token_hex(3)}"
        warning = {
            "reference": reference,
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
            n = await scalar(
                wages_settings.database_url, "select count(*) from weather_warnings where warning_id = :w", w=warning_id
            )
            return n == 1 or None

        await eventually(warning_known, timeout=120)
        late = _day_statement("after", contracts["after"], workers["after"], monday, "punctuality_penalty",
                              datetime(2026, 11, 30, 21, 15, tzinfo=BUSINESS_TZ))  # fmt: skip
        r = await wages.post("/v1/statements/batches", headers=platform_headers, content=json.dumps(late))
        assert r.status_code == 201 and r.json()["accepted"] == 1, r.text
        ids = {s["line_id"]: s["statement_id"] for s in (await _statements(wages, platform_headers))}
        expected = {f"{ids[line]}#0" for line in ("before", "after", "untimed")}

        async def alerts():
            items = (await gateway.get("/v1/alerts", headers=emergency, params={"limit": 500})).json()["items"]
            found = [a for a in items if a["rule"] == RULE and a["platform_id"] == platform]
            return found if {a["subject_id"] for a in found} >= expected else None

        found = await eventually(alerts, timeout=120)
        assert sorted(a["subject_id"] for a in found) == sorted(expected)  # the penalty after the window: none
        for a in found:
            assert a["measure"] == "M8" and a["source_service"] == "wages" and a["district"] == DISTRICT
            assert {"emergency", "hrss", "union", "transport", "market", f"county:{DISTRICT}"} <= set(a["departments"])
        untimed = next(a for a in found if a["subject_id"] == f"{ids['untimed']}#0")
        evidence = (await gateway.get(f"/v1/alerts/{untimed['alert_id']}", headers=emergency)).json()["evidence"]
        assert evidence[0]["evidence"]["basis"] == "whole_period"
        assert evidence[0]["evidence"]["warnings"][0]["warning_id"] == warning_id

        # the warning stated again (amended: no end, in force until lifted) judges again: Wednesday's penalty is now
        # inside it, the three raised already are not raised twice
        r = await departments.post(
            "/v1/weather-warnings",
            headers=emergency,
            json={k: v for k, v in warning.items() if k != "ends_at"},
        )
        assert r.status_code in (200, 201), r.text

        async def amended():
            n = await scalar(
                wages_settings.database_url, "select version from weather_warnings where warning_id = :w", w=warning_id
            )
            return n == 2 or None

        await eventually(amended, timeout=120)

        async def judged_again():
            rows = await scalar(
                wages_settings.database_url,
                "select string_agg(subject_id, ',' order by subject_id) from findings"
                " where rule = :r and platform_id = :p",
                r=RULE,
                p=platform,
            )
            return rows if rows and len(rows.split(",")) >= 4 else None

        subjects = (await eventually(judged_again, timeout=120)).split(",")
        assert sorted(subjects) == sorted([*expected, f"{ids['outside']}#0"])

        naive = _day_statement(
            "naive", contracts["before"], workers["before"], wednesday, "late_delivery_penalty", None
        )
        naive["deductions"][0]["incurred_at"] = "2026-12-02T10:30:00"
        r = await wages.post("/v1/statements/batches", headers=platform_headers, content=json.dumps(naive))
        assert r.status_code == 201 and r.json()["accepted"] == 0, r.text
        assert "incurred_at" in r.json()["errors"][0]["field"], r.text


async def _statements(wages, headers) -> list[dict]:
    r = await wages.get("/v1/statements", headers=headers, params={"limit": 100})
    assert r.status_code == 200, r.text
    return r.json()["items"]
