"""Bad-weather warnings (M8) as the emergency department's verified facts: per district, level, kind of
weather, a zone-aware window and its source; the same statement again changes nothing, an amendment or a
lifting is version + 1, and each statement is published as `departments.weather_warning.issued.v1`."""

from __future__ import annotations

import json

from newform_common import testing as kit


def warning(**kw) -> dict:
    return {
        "reference": kit.unique_name("XNQX"),
        "district": "chengxi",
        "level": "red",
        "hazard": "snow",
        "starts_at": "2026-12-07T06:00:00+08:00",
        "ends_at": "2026-12-07T20:00:00+08:00",
        "source": "西宁市气象台",
        **kw,
    }


async def test_a_red_snow_warning_is_recorded_once_amended_and_published(api):
    body = warning()
    first = await api.post("/v1/weather-warnings", "emergency", body)
    assert first.status_code == 201, first.text
    fact = first.json()
    assert (fact["kind"], fact["department"], fact["status"], fact["version"]) == (
        "weather_warning",
        "emergency",
        "created",
        1,
    )
    assert fact["fields"]["district"] == "chengxi" and fact["fields"]["level"] == "red"
    assert fact["valid_from"] == "2026-12-07" and fact["valid_until"] == "2026-12-07"
    # The same instant written in UTC is the same statement.
    again = await api.post("/v1/weather-warnings", "emergency", {**body, "starts_at": "2026-12-06T22:00:00Z"})
    assert again.json()["status"] == "unchanged" and again.json()["version"] == 1
    lifted = await api.post("/v1/weather-warnings", "emergency", {**body, "cancelled_at": "2026-12-07T12:00:00+08:00"})
    assert lifted.json()["status"] == "updated" and lifted.json()["version"] == 2

    records = await kit.read_topic(api.settings.kafka_bootstrap_servers, api.settings.topic, expect=100, timeout=8)
    mine = [
        json.loads(r.value)
        for r in records
        if dict(r.headers).get("ce_type") == b"departments.weather_warning.issued.v1"
        and json.loads(r.value)["reference"] == body["reference"]
    ]
    assert [(m["version"], m["cancelled_at"]) for m in mine] == [(1, None), (2, "2026-12-07T12:00:00+08:00")]
    assert mine[0]["starts_at"] == "2026-12-07T06:00:00+08:00" and mine[0]["hazard"] == "snow"


async def test_only_the_emergency_department_records_warnings_and_windows_must_make_sense(api):
    other = await api.post("/v1/weather-warnings", "hrss", warning())
    assert other.status_code == 403 and other.json()["type"].endswith("outside-department-scope")
    backwards = await api.post("/v1/weather-warnings", "emergency", warning(ends_at="2026-12-07T05:00:00+08:00"))
    assert backwards.status_code == 422 and backwards.json()["type"].endswith("invalid-date-range")
    naive = await api.post("/v1/weather-warnings", "emergency", warning(starts_at="2026-12-07T06:00:00"))
    assert naive.status_code == 422
    unknown = await api.post("/v1/weather-warnings", "emergency", warning(hazard="fog"))
    assert unknown.status_code == 422
