"""The workers' app's 驿站 and 通知 on a 360 px phone with a fixed position (M14, M11): the worker finds the
nearest open station with charging (stations near the position, a closer one without charging and a closer
one closed now are passed over; the map is an inline SVG with the stations drawn), reports it broken in two
taps, and the keeper (urban management) sees the alert in the departments service. The notices (热线与通知)
list the one a department published for couriers in the worker's district, not one for another district."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import async_playwright

from newform_common import clock
from newform_common.kafka import ensure_topics
from newform_common.testing import (
    TEST_PII_SECRET,
    TokenFactory,
    eventually,
    migrated_database,
    resident_id,
    unique_name,
    worker_id_of,
)
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_gateway.main import create_app as create_gateway_app
from newform_local.ports import free_port

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings
from ..kit.gateway import migrated_database as gateway_database
from ..kit.loopback import LoopbackServer

PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"  # git-ignored
HERE = {"latitude": 36.6230, "longitude": 101.7600}  # 城西区
ALWAYS = {"always_open": True}


def closed_now() -> dict:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    opens, closes = (now + timedelta(hours=2)).strftime("%H:%M"), (now + timedelta(hours=3)).strftime("%H:%M")
    return {"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "opens": opens, "closes": closes}]}


def station(name: str, dlat: float, amenities: list[str], hours: dict) -> dict:
    return {
        "reference": unique_name("YZ"),
        "name": name,
        "address": "胜利路",
        "district": "chengxi",
        "lat": HERE["latitude"] + dlat,
        "lon": HERE["longitude"],
        "amenities": amenities,
        "hours": hours,
    }


async def sign_in_with_local_token(page, token: str) -> None:
    """Test-only: the tokens the app would hold after signing in, in its session storage, once."""
    tokens = {"access_token": token, "refresh_token": None, "id_token": None, "expires_at": time.time() + 3600}
    await page.add_init_script(
        "if (!sessionStorage.getItem('test.seeded')) {"
        f"  sessionStorage.setItem('newform.app.tokens', {json.dumps(json.dumps(tokens))});"
        "  sessionStorage.setItem('test.seeded', '1');"
        "}"
    )


async def test_a_worker_finds_the_nearest_open_station_with_charging_reports_it_and_the_keeper_sees_it(
    new_database, kafka
):
    tokens = TokenFactory.generate()
    prefix = unique_name("stapp").replace("_", "")
    await ensure_topics(kafka.bootstrap_servers, [f"{prefix}-{s}.events" for s in ("contracts", "departments")])
    departments_app = create_departments_app(
        DepartmentsSettings(
            service_name=f"{prefix}-departments",
            database_url=await migrated_database(new_database, "departments"),
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            jwt_public_key=tokens.public_pem,
            pii_secret=TEST_PII_SECRET,
            relay_poll_interval_s=0.2,
            contracts_topic=f"{prefix}-contracts.events",
        )
    )
    worker = worker_id_of(resident_id())
    contracts = EventFeed(kafka.bootstrap_servers, prefix, source="contracts")
    await contracts.worker(worker, "plt-app", occupation="courier", district="chengxi")
    down = f"http://127.0.0.1:{free_port()}"
    async with LoopbackServer(departments_app, free_port()) as departments:
        settings = gateway_settings(
            prefix,
            await gateway_database(new_database),
            kafka.bootstrap_servers,
            tokens.public_pem,
            run_deliverer=False,
            run_consumers=False,
            service_urls={s: down for s in ("contracts", "wages", "disputes", "training", "unions")}
            | {"departments": departments.url},
            pii_secret=TEST_PII_SECRET,
        )
        d = httpx.AsyncClient(base_url=departments.url)
        urban = tokens.headers("department", subject="urban-1", department="urban")
        made = {}
        for name, dlat, amenities, hours in (
            ("饮水驿站", 0.0005, ["drinking_water"], ALWAYS),  # nearest, no charging
            ("夜间充电驿站", 0.0010, ["charging"], closed_now()),  # closer, closed now
            ("胜利路充电驿站", 0.0030, ["charging", "heating"], ALWAYS),  # the one to find
            ("远处充电驿站", 0.0200, ["charging"], ALWAYS),
        ):
            r = await d.post("/v1/rest-stations", headers=urban, json=station(name, dlat, amenities, hours))
            assert r.status_code == 201, r.text
            made[name] = r.json()["id"]
        hrss = tokens.headers("department", subject="hrss-1", department="hrss")
        today = clock.today()
        for title, districts in (("城西区快递员专场招聘会", ["chengxi"]), ("城东区招聘会", ["chengdong"])):
            r = await d.post(
                "/v1/notices",
                headers=hrss,
                json={
                    "reference": unique_name("TZ"),
                    "kind": "job_fair",
                    "title": title,
                    "body": "欢迎参加。",
                    "valid_from": today.isoformat(),
                    "districts": districts,
                    "occupations": ["courier"],
                },
            )
            assert r.status_code == 201, r.text

        async def registered():
            r = await d.get("/v1/notices", headers=tokens.headers("worker", subject=worker))
            return any(n["title"] == "城西区快递员专场招聘会" for n in r.json())

        await eventually(registered)

        async with (
            LoopbackServer(create_gateway_app(settings), free_port()) as gateway,
            async_playwright() as p,
        ):
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(
                    viewport=PHONE,
                    locale="zh-CN",
                    has_touch=True,
                    is_mobile=True,
                    geolocation=HERE,
                    permissions=["geolocation"],
                )
                page = await context.new_page()
                await sign_in_with_local_token(page, tokens.token("worker", subject=worker))
                await page.goto(f"{gateway.url}/app/#help")
                await page.get_by_role("button", name="热线与通知").click()
                # 通知: the notice for couriers in 城西区 only.
                await page.locator("#notice-list li", has_text="城西区快递员专场招聘会").wait_for()
                assert await page.locator("#notice-list li", has_text="城东区招聘会").count() == 0

                await page.get_by_role("button", name="查找附近驿站").click()
                items = page.locator("#station-list li[data-station-id]")
                await items.first.locator("h4", has_text="饮水驿站").wait_for()  # the nearest of all
                assert await page.locator("#station-map svg polygon.district").count() == 7
                assert await page.locator("#station-map svg circle.station").count() == 4
                assert await page.locator("#station-map svg circle.me").count() == 1

                await page.get_by_label("充电").check()
                await items.first.locator("h4", has_text="夜间充电驿站").wait_for()  # closer, but closed now
                await page.get_by_label("只看正在开放的").check()
                first = items.first
                await first.locator("h4", has_text="胜利路充电驿站").wait_for()
                assert await first.get_attribute("data-station-id") == made["胜利路充电驿站"]
                assert "正在开放" in await first.inner_text()
                assert await items.count() == 2  # and the far one; neither closed nor without charging

                # Two taps: 报告问题, then 设施坏了.
                await first.get_by_role("button", name="报告问题").click()
                await first.get_by_role("button", name="设施坏了").click()
                await first.locator(".ok", has_text="已报告").wait_for()
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SCREENSHOTS / "stations.png"), full_page=True)

                alerts = (await d.get("/v1/rest-station-reports", headers=urban)).json()
                assert [(a["station_id"], a["kind"], a["status"]) for a in alerts] == [
                    (made["胜利路充电驿站"], "broken", "open")
                ]
                transport = tokens.headers("department", subject="transport-1", department="transport")
                assert (await d.get("/v1/rest-station-reports", headers=transport)).json() == []
            finally:
                await browser.close()
