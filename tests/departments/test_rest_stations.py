"""Rest stations (M14): the keepers' registry (each M14 unit only its own, a district government only in its
district), stations near a worker (nearest first, amenity and open-now filters), a worker's report as an
alert for the keeper with a handling deadline, handled; overdue → a finding citing M14 routed to the keeper."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from newform_common import testing as kit
from newform_common.db import Database
from newform_common.deadlines import fire_due
from newform_departments.stations.service import DEADLINE_HANDLERS
from newform_gateway.alerts.routing import departments_for, responsible_department

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALWAYS = {"always_open": True}


def station(**kw) -> dict:
    return {
        "reference": kit.unique_name("YZ"),
        "name": "胜利路户外劳动者驿站",
        "address": "西宁市城西区胜利路1号",
        "district": "chengxi",
        "lat": 36.6175,
        "lon": 101.7650,
        "amenities": ["charging", "drinking_water"],
        "hours": ALWAYS,
        **kw,
    }


def closed_now() -> dict:
    """Weekly hours that open two hours from now (Asia/Shanghai) for one hour: closed at this moment."""
    now = datetime.now(SHANGHAI)
    opens, closes = (now + timedelta(hours=2)).time(), (now + timedelta(hours=3)).time()
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return {"weekly": [{"days": days, "opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")}]}


async def test_keepers_register_their_own_stations_only(api):
    body = station()
    created = await api.post("/v1/rest-stations", "urban", body)
    assert created.status_code == 201, created.text
    s = created.json()
    assert (s["keeper"], s["status"], s["version"], s["open_now"]) == ("urban", "created", 1, True)
    again = await api.post("/v1/rest-stations", "urban", body)
    assert (again.json()["id"], again.json()["status"], again.json()["version"]) == (s["id"], "unchanged", 1)
    moved = await api.client.put(
        f"/v1/rest-stations/{s['id']}", headers=api.department("urban"), json={**body, "amenities": ["heating"]}
    )
    assert (moved.json()["status"], moved.json()["version"], moved.json()["amenities"]) == ("updated", 2, ["heating"])

    # Another M14 unit cannot edit it; a department outside M14 cannot keep stations at all.
    other = await api.client.put(f"/v1/rest-stations/{s['id']}", headers=api.department("transport"), json=body)
    assert other.status_code == 403 and other.json()["type"].endswith("outside-department-scope")
    outside = await api.post("/v1/rest-stations", "hrss", station())
    assert outside.status_code == 403

    # A district government keeps stations in its district only.
    own = await api.client.post(
        "/v1/rest-stations", headers=api.department("county", "chengbei"), json=station(district="chengbei")
    )
    assert own.status_code == 201 and own.json()["keeper"] == "county:chengbei"
    elsewhere = await api.client.post(
        "/v1/rest-stations", headers=api.department("county", "chengbei"), json=station(district="chengxi")
    )
    assert elsewhere.status_code == 403
    neighbour = await api.client.put(
        f"/v1/rest-stations/{own.json()['id']}",
        headers=api.department("county", "chengdong"),
        json=station(district="chengbei", reference=own.json()["reference"]),
    )
    assert neighbour.status_code == 403

    # Bad input: a point outside Xining, an unknown amenity or district, hours that say nothing.
    for bad in (
        station(lat=39.9, lon=116.4),
        station(amenities=["sauna"]),
        station(district="haidian"),
        station(hours={"weekly": []}),
        station(hours={"timezone": "Mars/Olympus", "always_open": True}),
    ):
        refused = await api.post("/v1/rest-stations", "urban", bad)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json", bad

    records = await kit.read_topic(api.settings.kafka_bootstrap_servers, api.settings.topic, expect=100, timeout=8)
    mine = [
        (dict(r.headers)["ce_type"].decode(), json.loads(r.value)["version"])
        for r in records
        if dict(r.headers)["ce_type"].startswith(b"departments.rest_station.")
        and json.loads(r.value).get("station_id") == s["id"]
    ]
    assert mine == [("departments.rest_station.registered.v1", 1), ("departments.rest_station.updated.v1", 2)]


async def test_near_me_is_nearest_first_with_amenity_and_open_now_filters(api):
    # Four stations around a point in 湟源县 (no other test puts stations there).
    here = (36.6830, 101.2630)
    made = {}
    for name, dlat, amenities, hours in (
        ("far-charging", 0.0200, ["charging"], ALWAYS),
        ("near-water", 0.0010, ["drinking_water"], ALWAYS),
        ("mid-charging-closed", 0.0050, ["charging", "heating"], closed_now()),
        ("mid-charging-open", 0.0080, ["charging", "toilet"], ALWAYS),
    ):
        body = station(
            name=name, district="huangyuan", lat=here[0] + dlat, lon=here[1], amenities=amenities, hours=hours
        )
        r = await api.client.post("/v1/rest-stations", headers=api.department("county", "huangyuan"), json=body)
        assert r.status_code == 201, r.text
        made[name] = r.json()
    worker = api.as_worker(kit.worker_id_of(kit.resident_id()))
    params = {"lat": here[0], "lon": here[1], "within_m": 5000}

    every = (await api.client.get("/v1/rest-stations/near", headers=worker, params=params)).json()
    assert [s["name"] for s in every] == ["near-water", "mid-charging-closed", "mid-charging-open", "far-charging"]
    assert 100 <= every[0]["distance_m"] <= 120  # 0.001° of latitude ≈ 111 m
    assert [s["open_now"] for s in every] == [True, False, True, True]

    charging = (
        await api.client.get("/v1/rest-stations/near", headers=worker, params={**params, "amenity": "charging"})
    ).json()
    assert [s["name"] for s in charging] == ["mid-charging-closed", "mid-charging-open", "far-charging"]
    open_charging = (
        await api.client.get(
            "/v1/rest-stations/near", headers=worker, params={**params, "amenity": "charging", "open_now": "true"}
        )
    ).json()
    assert open_charging[0]["name"] == "mid-charging-open"
    both = (
        await api.client.get(
            "/v1/rest-stations/near",
            headers=worker,
            params=[*params.items(), ("amenity", "charging"), ("amenity", "heating")],
        )
    ).json()
    assert [s["name"] for s in both] == ["mid-charging-closed"]
    far = await api.client.get("/v1/rest-stations/near", headers=worker, params={"lat": 31.2, "lon": 121.5})
    assert far.status_code == 422


async def _fire(api, now: datetime) -> set[tuple[str, str]]:
    db = Database(api.url, service=api.settings.service_name)
    try:
        return {(d.kind, d.subject_id) for d in await fire_due(db, DEADLINE_HANDLERS, now=now)}
    finally:
        await db.dispose()


async def test_a_report_reaches_the_keeper_who_handles_it_and_an_overdue_one_is_a_finding(api):
    s = (await api.post("/v1/rest-stations", "urban", station(name="报告测试驿站"))).json()
    worker = api.as_worker(kit.worker_id_of(kit.resident_id()))
    key = {"Idempotency-Key": kit.unique_name("k")}
    report = await api.client.post(
        f"/v1/rest-stations/{s['id']}/reports", headers={**worker, **key}, json={"kind": "broken", "note": "充电桩坏了"}
    )
    assert report.status_code == 201, report.text
    r = report.json()
    retried = await api.client.post(
        f"/v1/rest-stations/{s['id']}/reports", headers={**worker, **key}, json={"kind": "broken", "note": "充电桩坏了"}
    )
    assert retried.json()["id"] == r["id"]
    # The handling period is stations.report_handling_days (3 days), its end moved past rest days and holidays.
    reported = datetime.fromisoformat(r["reported_at"]).astimezone(SHANGHAI).date()
    due = datetime.fromisoformat(r["due_at"]).astimezone(SHANGHAI).date()
    assert 3 <= (due - reported).days <= 10 and r["status"] == "open"

    alerts = (await api.client.get("/v1/rest-station-reports", headers=api.department("urban"))).json()
    assert [a["id"] for a in alerts if a["station_id"] == s["id"]] == [r["id"]]
    assert alerts[0]["station_name"] == "报告测试驿站" and "worker_id" not in alerts[0]
    others = (await api.client.get("/v1/rest-station-reports", headers=api.department("transport"))).json()
    assert r["id"] not in [a["id"] for a in others]
    stranger = await api.client.post(
        f"/v1/rest-station-reports/{r['id']}/handled", headers=api.department("transport"), json={}
    )
    assert stranger.status_code == 404
    done = await api.client.post(
        f"/v1/rest-station-reports/{r['id']}/handled", headers=api.department("urban"), json={"note": "已修复"}
    )
    assert done.status_code == 200 and done.json()["status"] == "handled"
    twice = await api.client.post(
        f"/v1/rest-station-reports/{r['id']}/handled", headers=api.department("urban"), json={}
    )
    assert twice.status_code == 409
    # Its clock stopped: nothing fires for it, even long after.
    assert ("departments.station_report", r["id"]) not in await _fire(api, datetime.now(SHANGHAI) + timedelta(days=60))

    # A report nobody handles: its clock fires once, the report is overdue and a finding names the keeper.
    late = (
        await api.client.post(f"/v1/rest-stations/{s['id']}/reports", headers=worker, json={"kind": "closed"})
    ).json()
    fired = await _fire(api, datetime.fromisoformat(late["due_at"]) + timedelta(seconds=1))
    assert ("departments.station_report", late["id"]) in fired
    after = [
        a
        for a in (await api.client.get("/v1/rest-station-reports", headers=api.department("urban"))).json()
        if a["id"] == late["id"]
    ]
    assert after[0]["status"] == "overdue" and after[0]["finding_id"]
    findings = (await api.client.get("/v1/findings", headers=api.regulator)).json()
    items = findings["items"] if isinstance(findings, dict) else findings
    finding = next(f for f in items if f["finding_id"] == after[0]["finding_id"])
    assert finding["rule"] == "M14.station_report_overdue" and finding["measure"] == "M14"
    evidence = finding["evidence"]
    assert evidence["responsible_department"] == "urban" and evidence["report_id"] == late["id"]
    # The gateway routes it to the keeper alone.
    on = datetime.fromisoformat(late["reported_at"])
    responsible = responsible_department(evidence, on)
    assert departments_for("M14", district="chengxi", on=on, responsible=responsible) == ["urban"]
    # The keeper may still handle it late.
    handled = await api.client.post(
        f"/v1/rest-station-reports/{late['id']}/handled", headers=api.department("urban"), json={}
    )
    assert handled.json()["status"] == "handled"
