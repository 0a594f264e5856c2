"""M8 at the gateway, through real Kafka: the emergency department records warnings in the departments service;
contracts' events say which platforms responded (and how) and for which one the response clock fired; wages'
and contracts' M8 findings name the warning. `GET /v1/weather-warnings` and the page `/weather` show each
warning with its level and window, the responses (in time or late), the platforms without one by the due time,
and the M8 findings counted; the regulator and M8's units see all, a district government its district, others
and workers nothing; bad filters are problems; a rebuild gives the same read models."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from newform_common.kafka import ensure_topics
from newform_common.policy import get_policy
from newform_common.testing import (
    eventually,
    migrated_database,
    resident_id,
    running_service,
    unique_name,
    worker_id_of,
)
from newform_contracts.events import WeatherResponseDeclared
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_gateway.main import create_app as create_gateway_app
from newform_gateway.rebuild import compare, rebuild

from ..kit.feed import EventFeed
from ..kit.stack import E2E_PII_SECRET, gateway_settings_for

STARTS = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)


def warning(district: str, level: str, hazard: str) -> dict:
    return {
        "reference": f"XNQX-{secrets.token_hex(4)}",
        "district": district,
        "level": level,
        "hazard": hazard,
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(hours=12)).isoformat(),
        "source": "西宁市气象台",
        "observed_at": (STARTS - timedelta(hours=1)).isoformat(),
    }


def response(w: dict, platform: str, dispatch: str, minutes: int, declared: datetime) -> WeatherResponseDeclared:
    return WeatherResponseDeclared(
        response_id=f"wr_{secrets.token_hex(6)}",
        warning_id=w["fact_id"],
        warning_reference=w["reference"],
        district=w["district"],
        level=w["level"],
        platform_id=platform,
        dispatch=dispatch,
        completion_time_extended_minutes=minutes,
        taken_at=declared - timedelta(minutes=5),
        declared_at=declared,
    )


async def test_warnings_responses_and_m8_findings_per_district(new_database, kafka, tokens):
    prefix = unique_name("e2eww").replace("_", "")
    await ensure_topics(
        kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("contracts", "departments", "wages", "gateway")]
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
    contracts = EventFeed(kafka.bootstrap_servers, prefix, source="contracts")
    wages = EventFeed(kafka.bootstrap_servers, prefix, source="wages")
    minutes = get_policy().value("safety.weather_warning.response_within_minutes", STARTS)
    due = STARTS + timedelta(minutes=minutes)  # recorded before the start: due after the start
    tag = secrets.token_hex(3)
    limited, late, silent = f"plt-lim-{tag}", f"plt-late-{tag}", f"plt-silent-{tag}"

    async with (
        running_service(create_departments_app, departments_settings, tokens) as departments,
        running_service(create_gateway_app, gw_settings, tokens) as gw,
    ):
        emergency = tokens.headers("department", subject="yj-1", department="emergency")
        stated = {}
        for name, body in (
            ("red", warning("chengxi", "red", "snow")),
            ("yellow", warning("chengxi", "yellow", "high_wind")),
            ("orange", warning("chengdong", "orange", "ice")),
        ):
            r = await departments.client.post("/v1/weather-warnings", headers=emergency, json=body)
            assert r.status_code == 201, r.text
            stated[name] = {**body, "fact_id": r.json()["fact_id"]}
        red = stated["red"]
        await contracts.send(
            response(red, limited, "limited", 30, due - timedelta(minutes=30)),
            response(red, late, "suspended", 0, due + timedelta(minutes=40)),
        )
        warning_evidence = {"warning_id": red["fact_id"], "district": "chengxi", "level": "red"}
        await contracts.finding(
            measure="M8",
            rule="M8.weather_no_response",
            subject_type="weather_warning",
            subject_id=red["fact_id"],
            platform_id=silent,
            district="chengxi",
            evidence={**warning_evidence, "response_due": due.isoformat()},
        )
        await wages.finding(
            measure="M8",
            rule="M8.penalty_during_warning",
            subject_type="statement_deduction",
            subject_id=f"st_{tag}#0",
            platform_id=limited,
            district="chengxi",
            evidence={"warnings": [warning_evidence], "reason": "late_delivery_penalty", "amount_fen": 300},
        )

        async def view():
            body = (await gw.client.get("/v1/weather-warnings", headers=gw.regulator)).json()
            rows = {w["warning_id"]: w for w in body.get("items", [])}
            w = rows.get(red["fact_id"])
            ready = w and len(w["responses"]) == 2 and w["not_responded"] and w["findings_total"] == 2
            return (body, rows) if ready and len(rows) >= 3 else None

        body, rows = await eventually(view)
        w = rows[red["fact_id"]]
        assert (w["district"], w["level"], w["hazard"], w["response_required"]) == ("chengxi", "red", "snow", True)
        assert datetime.fromisoformat(w["window_end"]) == STARTS + timedelta(hours=12)
        assert datetime.fromisoformat(w["response_due_at"]) == due
        how = {
            r["platform_id"]: (r["dispatch"], r["completion_time_extended_minutes"], r["in_time"])
            for r in w["responses"]
        }
        assert how == {limited: ("limited", 30, True), late: ("suspended", 0, False)}
        assert [m["platform_id"] for m in w["not_responded"]] == [silent]
        assert w["findings"] == {"M8.penalty_during_warning": 1, "M8.weather_no_response": 1}
        assert rows[stated["yellow"]["fact_id"]]["response_required"] is False
        assert rows[stated["yellow"]["fact_id"]]["response_due_at"] is None
        west = next(d for d in body["districts"] if d["district"] == "chengxi")
        assert (west["warnings"], west["by_level"], west["responses"], west["not_responded"], west["findings"]) == (
            2,
            {"red": 1, "yellow": 1},
            2,
            1,
            2,
        )
        assert body["findings"] == {"M8.penalty_during_warning": 1, "M8.weather_no_response": 1}

        # who sees what
        county = tokens.headers("department", subject="cd-1", department="county", district="chengdong")
        own = (await gw.client.get("/v1/weather-warnings", headers=county)).json()
        assert [x["warning_id"] for x in own["items"]] == [stated["orange"]["fact_id"]]
        other = await gw.client.get("/v1/weather-warnings", headers=county, params={"district": "chengxi"})
        assert other.status_code == 403 and other.headers["content-type"].startswith("application/problem+json")
        hrss = tokens.headers("department", subject="rs-1", department="hrss")
        only_red = (await gw.client.get("/v1/weather-warnings", headers=hrss, params={"level": "red"})).json()
        assert [x["warning_id"] for x in only_red["items"]] == [red["fact_id"]]
        education = tokens.headers("department", subject="jy-1", department="education")
        assert (await gw.client.get("/v1/weather-warnings", headers=education)).status_code == 403
        worker = tokens.headers("worker", subject=worker_id_of(resident_id()))
        assert (await gw.client.get("/v1/weather-warnings", headers=worker)).status_code == 403

        # filters that cannot be answered are problems, not empty lists
        for params, slug in (
            ({"district": "atlantis"}, "unknown-district"),
            ({"since": "2026-12-05", "until": "2026-12-01"}, "invalid-date-range"),
            ({"level": "purple"}, None),
        ):
            r = await gw.client.get("/v1/weather-warnings", headers=gw.regulator, params=params)
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), params
            if slug:
                assert r.json()["type"].endswith(slug)
        day = STARTS.date() - timedelta(days=3)
        gone = await gw.client.get("/v1/weather-warnings", headers=gw.regulator, params={"until": day.isoformat()})
        assert red["fact_id"] not in [x["warning_id"] for x in gone.json()["items"]]

        gw.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        page = await gw.client.get("/weather")
        assert page.status_code == 200
        for words in (
            "恶劣天气预警与平台应对（M8）",
            "红色",
            "暴雪",
            "限制发单",
            "延长时限 30 分钟",
            "逾期",
            "城西区",
            silent,
        ):
            assert words in page.text, words
        assert 'href="/weather"' in page.text  # in the navigation
        gw.client.cookies.set("newform_token", tokens.token("department", subject="jy-2", department="education"))
        assert (await gw.client.get("/weather")).status_code == 403

        target = new_database("gwweather")
        await rebuild(gw.settings, into=target)
        diffs = await compare(gw.url, target)
        assert "department_weather_warnings" not in diffs and "weather_responses" not in diffs, diffs
