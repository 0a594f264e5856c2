"""The dashboard in a real headless Chromium (Debian's `chromium`), against the gateway on uvicorn."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import async_playwright

from newform_common.testing import TokenFactory, eventually, unique_name
from newform_gateway.main import create_app
from newform_local.ports import free_port

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.feed import EventFeed
from ..kit.gateway import gateway_settings, migrated_database, prepare_topics
from ..kit.loopback import LoopbackServer


async def test_overview_renders_chinese_and_a_chart_and_an_alert_is_acknowledged_through_the_page(
    new_database, kafka, tmp_path
):
    tokens = TokenFactory.generate()
    prefix = unique_name("gwd").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)
    pub = EventFeed(kafka.bootstrap_servers, prefix)
    await pub.enterprise("p_dash", name="示例配送平台")
    for i in range(3):
        await pub.worker(f"w_dash_{i}", "p_dash", district=["chengxi", "chengdong", "datong"][i])
    subject = f"c_{uuid.uuid4().hex[:8]}"
    await pub.finding(
        measure="M1",
        rule="M1.misclassification",
        subject_id=subject,
        platform_id="p_dash",
        district="chengxi",
        summary="按民事关系签约，但事实符合劳动关系认定条件",
    )

    async with LoopbackServer(create_app(settings), free_port()) as server:
        api = httpx.AsyncClient(base_url=server.url, headers=tokens.headers("regulator"))

        async def alert():
            items = (await api.get("/v1/alerts")).json()["items"]
            found = [a for a in items if a["subject_id"] == subject]
            registered = (await api.get("/v1/overview")).json()["registrations"]["total"] == 3
            return found[0] if found and registered else None

        alert_id = (await eventually(alert))["alert_id"]

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                assert (await page.goto(f"{server.url}/")).url.endswith("/signin?next=%2F")
                await page.fill("textarea[name=token]", tokens.token("department", department="hrss"))
                await page.click("#signin-submit")
                await page.wait_for_url(f"{server.url}/")

                assert await page.locator("h1").first.inner_text() == "总览"
                assert await page.get_by_role("heading", name="每日趋势").count() == 1
                assert await page.locator("svg.chart").count() >= 2
                assert await page.locator("svg.chart title", has_text="按区县统计在册劳动者").count() == 1
                assert await page.locator("svg.chart text", has_text="城西区").count() == 1
                cookies = {c["name"]: c for c in await page.context.cookies()}
                assert cookies["newform_token"]["httpOnly"] and cookies["newform_token"]["sameSite"] == "Strict"
                await page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

                await page.goto(f"{server.url}/alerts")
                row = page.locator(f"tr[data-alert-id='{alert_id}']")
                assert await row.count() == 1  # hrss sees only its own department's group
                assert await row.locator("td.status").inner_text() == "待处理"
                # hrss leads M1, so it decides: the policy's outcomes, 约谈/警示/查处 among them.
                assert await row.locator("select[name=outcome] option").all_inner_texts() == [
                    "属实",
                    "约谈",
                    "警示",
                    "查处",
                    "不属实",
                ]
                await row.locator("input[name=note]").first.fill("已受理，正在核查")
                await row.locator("button.acknowledge").click()
                await page.wait_for_url(f"{server.url}/alerts")
                assert await page.locator(f"tr[data-alert-id='{alert_id}'] td.status").inner_text() == "已确认"

                # A form without the session's CSRF token is refused.
                forged = await page.request.post(
                    f"{server.url}/alerts/{alert_id}/resolve", form={"csrf": "forged", "outcome": "dismissed"}
                )
                assert forged.status == 403

                await page.goto(f"{server.url}/?lang=en")
                assert await page.locator("h1").first.inner_text() == "Overview"
            finally:
                await browser.close()

        detail = (await api.get(f"/v1/alerts/{alert_id}")).json()
        await api.aclose()
    assert detail["status"] == "acknowledged"
    assert detail["transitions"][0]["actor_department"] == "hrss"
    assert detail["transitions"][0]["note"] == "已受理，正在核查"
