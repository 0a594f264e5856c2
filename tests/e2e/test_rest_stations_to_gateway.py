"""Rest stations (M14) at the gateway, through real Kafka: keepers register stations in the departments
service, workers report them, a keeper handles one; contracts' registrations place workers in districts.
The gateway's figures per district — stations, registered workers, workers per station, reports open and
handled, the median handling time — add up to the total row; a district without a station is named; a
district government sees its district only; the page says it in Chinese; a rebuild gives the same rows."""

from __future__ import annotations

import secrets

from newform_common.kafka import ensure_topics
from newform_common.testing import (
    eventually,
    migrated_database,
    resident_id,
    running_service,
    unique_name,
    worker_id_of,
)
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_gateway.main import create_app as create_gateway_app
from newform_gateway.rebuild import compare, rebuild

from ..kit.feed import EventFeed
from ..kit.stack import E2E_PII_SECRET, gateway_settings_for

ALWAYS = {"always_open": True}


def station(district: str, lat: float, lon: float) -> dict:
    return {
        "reference": unique_name("YZ"),
        "name": f"{district}驿站{secrets.token_hex(2)}",
        "address": "西宁市",
        "district": district,
        "lat": lat,
        "lon": lon,
        "amenities": ["charging"],
        "hours": ALWAYS,
    }


async def test_stations_against_registered_workers_per_district_add_up(new_database, kafka, tokens):
    prefix = unique_name("e2est").replace("_", "")
    await ensure_topics(
        kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("contracts", "departments", "gateway")]
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
    workers = [worker_id_of(resident_id()) for _ in range(6)]
    for w, district in zip(workers, ["chengxi", "chengxi", "chengxi", "chengdong", "datong", "datong"], strict=True):
        await contracts.worker(w, "plt-st", occupation="courier", district=district)

    async with (
        running_service(create_departments_app, departments_settings, tokens) as departments,
        running_service(create_gateway_app, gw_settings, tokens) as gw,
    ):
        d = departments.client
        urban = tokens.headers("department", subject="urban-1", department="urban")
        county_east = tokens.headers("department", subject="cd-1", department="county", district="chengdong")
        west_a = (await d.post("/v1/rest-stations", headers=urban, json=station("chengxi", 36.62, 101.76))).json()
        west_b = (await d.post("/v1/rest-stations", headers=urban, json=station("chengxi", 36.63, 101.75))).json()
        east = await d.post("/v1/rest-stations", headers=county_east, json=station("chengdong", 36.61, 101.82))
        assert east.status_code == 201, east.text
        worker = tokens.headers("worker", subject=workers[0])
        first = (
            await d.post(f"/v1/rest-stations/{west_a['id']}/reports", headers=worker, json={"kind": "full"})
        ).json()
        await d.post(f"/v1/rest-stations/{west_b['id']}/reports", headers=worker, json={"kind": "broken"})
        handled = await d.post(f"/v1/rest-station-reports/{first['id']}/handled", headers=urban, json={})
        assert handled.status_code == 200

        async def figures():
            body = (await gw.client.get("/v1/rest-stations/coverage", headers=gw.regulator)).json()
            total = body["total"]
            ready = (total["stations"], total["registered_workers"], total["reports"], total["handled"]) == (3, 6, 2, 1)
            return body if ready else None

        body = await eventually(figures)
        rows = {r["district"]: r for r in body["rows"]}
        assert [r["district"] for r in body["rows"]][:7] == [
            "chengdong",
            "chengzhong",
            "chengxi",
            "chengbei",
            "huangzhong",
            "datong",
            "huangyuan",
        ]
        west = rows["chengxi"]
        assert (west["stations"], west["registered_workers"], west["workers_per_station"]) == (2, 3, 1.5)
        assert (west["reports"], west["open"], west["handled"], west["open_overdue"]) == (2, 1, 1, 0)
        assert west["median_handling_hours"] is not None and west["median_handling_hours"] < 1
        assert (rows["datong"]["stations"], rows["datong"]["registered_workers"]) == (0, 2)
        assert rows["datong"]["workers_per_station"] is None
        assert "datong" in body["districts_without_station"] and "chengxi" not in body["districts_without_station"]
        for field in ("stations", "registered_workers", "reports", "open", "open_overdue", "handled", "handled_late"):
            assert body["total"][field] == sum(r[field] for r in body["rows"]), field
        assert body["total"]["median_handling_hours"] == west["median_handling_hours"]  # the one handled report

        county = tokens.headers("department", subject="cd-2", department="county", district="chengdong")
        own = (await gw.client.get("/v1/rest-stations/coverage", headers=county)).json()
        assert [r["district"] for r in own["rows"]] == ["chengdong"] and own["total"]["registered_workers"] == 1
        assert (await gw.client.get("/v1/rest-stations/coverage", headers=worker)).status_code == 403

        gw.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        page = await gw.client.get("/departments")
        assert page.status_code == 200
        for words in (
            "户外劳动者驿站（M14）",
            "驿站数",
            "登记劳动者数",
            "每站劳动者数",
            "处理用时中位数",
            "无驿站的区县",
            "大通县",
        ):
            assert words in page.text, words
        assert not any(w in page.text for w in workers)

        target = new_database("gwstations")
        await rebuild(gw.settings, into=target)
        diffs = await compare(gw.url, target)
        assert "department_rest_stations" not in diffs and "department_station_reports" not in diffs, diffs
