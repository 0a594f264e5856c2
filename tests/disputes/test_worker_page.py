"""The workers' page in a real headless Chromium (Debian's `chromium`), against the service on uvicorn:
sign in with a worker token, file a complaint, follow its due date, accept an answer, escalate."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import async_playwright

from newform_common import calendar
from newform_common.kafka import ensure_topics
from newform_common.policy import business_date
from newform_common.testing import eventually, migrated_database, resident_id, scalar, unique_name, worker_id_of
from newform_disputes.config import Settings
from newform_disputes.main import create_app
from newform_local.ports import free_port

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.feed import EventFeed
from ..kit.loopback import LoopbackServer


async def test_a_worker_files_follows_accepts_and_escalates_complaints_on_the_page(new_database, kafka, tokens):
    prefix = unique_name("dsw").replace("_", "")
    await ensure_topics(kafka.bootstrap_servers, [f"{prefix}-contracts.events", f"{prefix}-disputes.events"])
    url = await migrated_database(new_database, "disputes")
    settings = Settings(
        service_name=f"{prefix}-disputes",
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        relay_poll_interval_s=0.2,
        contracts_topic=f"{prefix}-contracts.events",
        consumer_group_prefix=f"{prefix}-disputes",
    )
    worker, pid = worker_id_of(resident_id()), "p" + secrets.token_hex(5)
    contract = "c_" + secrets.token_hex(6)
    contracts = EventFeed(kafka.bootstrap_servers, prefix)
    await contracts.contract(contract, worker, pid)
    reply_due_day = calendar.period_end(business_date(datetime.now(UTC)), 5).last_day  # the period rule
    reply_due, days_left = reply_due_day.isoformat(), (reply_due_day - business_date(datetime.now(UTC))).days

    async with LoopbackServer(create_app(settings), free_port()) as server:
        await eventually(lambda: scalar(url, "select count(*) from engagements where contract_id = :c", c=contract))
        platform = httpx.AsyncClient(
            base_url=server.url, headers=tokens.headers("platform", subject=f"backend-{pid}", platform_id=pid)
        )
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 375, "height": 740}, locale="zh-CN")
                requested: list[str] = []
                page.on("request", lambda request: requested.append(request.url))
                await page.goto(f"{server.url}/")
                assert await page.locator("h1").inner_text() == "劳动者投诉与调解"
                await page.fill("#token", tokens.token("worker", subject=worker))
                await page.click("#signin-submit")
                await page.wait_for_selector("#app:not([hidden])")
                assert await page.locator("#complaints li.empty").inner_text() == "暂无投诉"

                # Someone else's contract: a clear message, nothing filed.
                form = page.locator("#complaint-form")
                await form.locator("select[name=category]").select_option(label="劳动报酬")
                await form.locator("input[name=contract_id]").fill("c_not_mine")
                await form.locator("textarea[name=description]").fill("工资被拖欠")
                await page.click("#complaint-submit")
                await page.wait_for_selector("#complaint-error:text('未找到您的这份合同。')")

                await form.locator("input[name=contract_id]").fill(contract)
                await form.locator("textarea[name=description]").fill("上月工资被拖欠两千元")
                await page.click("#complaint-submit")
                card = page.locator("#complaints li[data-complaint-id]")
                await card.wait_for()
                complaint_id = await card.get_attribute("data-complaint-id")
                assert await card.locator(".status").inner_text() == "待平台答复"
                assert await card.locator("p.due").inner_text() == f"平台答复期限：{reply_due}（剩余 {days_left} 天）"

                r = await platform.post(f"/v1/complaints/{complaint_id}/answer", json={"answer": "已核实，三日内补发"})
                assert r.status_code == 200, r.text
                await page.reload()
                await page.wait_for_selector(f"li[data-complaint-id='{complaint_id}'] p.answer")
                card = page.locator(f"li[data-complaint-id='{complaint_id}']")
                assert await card.locator("p.answer").inner_text() == "平台答复：已核实，三日内补发"
                await card.locator("button.accept").click()
                await page.wait_for_selector(f"li[data-complaint-id='{complaint_id}'] .status:text('已办结')")
                assert await card.locator(".status").inner_text() == "已办结（已接受答复）"

                # A safety complaint with no engagement, escalated to the departments at once.
                await form.locator("select[name=category]").select_option("safety")
                await form.locator("input[name=contract_id]").fill("")
                await form.locator("input[name=platform_id]").fill(pid)
                await form.locator("textarea[name=description]").fill("平台要求雨雪天气照常超时配送")
                await page.click("#complaint-submit")
                await page.wait_for_selector("#complaints li[data-complaint-id] >> nth=1")
                newest = page.locator("#complaints li[data-complaint-id]").first
                await newest.locator("button.escalate-department").click()
                await page.wait_for_selector("#complaints li >> nth=0 >> .status:text('已向主管部门反映')")
                assert (
                    await scalar(
                        url,
                        "select count(*) from findings where rule = 'M8.complaint_escalated' and platform_id = :p",
                        p=pid,
                    )
                    == 1
                )

                # Escalated to mediation: the case appears; once accepted, its 15-day limit shows.
                await form.locator("select[name=category]").select_option("pay")
                await form.locator("input[name=platform_id]").fill("")
                await form.locator("input[name=contract_id]").fill(contract)
                await form.locator("textarea[name=description]").fill("加班费未支付")
                await page.click("#complaint-submit")
                await page.wait_for_selector("#complaints li[data-complaint-id] >> nth=2")
                await (
                    page.locator("#complaints li[data-complaint-id]").first.locator("button.escalate-mediation").click()
                )
                case_card = page.locator("#cases li[data-case-id]")
                await case_card.wait_for()
                assert await case_card.locator(".status").inner_text() == "已申请，待受理"
                case_id = await case_card.get_attribute("data-case-id")
                hrss = httpx.AsyncClient(base_url=server.url, headers=tokens.headers("department", department="hrss"))
                assert (await hrss.post(f"/v1/cases/{case_id}/acceptance", json={})).status_code == 200
                await page.reload()
                await page.wait_for_selector(f"li[data-case-id='{case_id}'] .status:text('调解中')")
                limit = (business_date(datetime.now(UTC)) + timedelta(days=15)).isoformat()
                assert (
                    await page.locator(f"li[data-case-id='{case_id}'] p.due").inner_text()
                    == f"调解期限：{limit}（剩余 15 天）"
                )
                # Mediation fails; the worker applies for arbitration from the page.
                assert (
                    await hrss.post(f"/v1/cases/{case_id}/outcome", json={"outcome": "no_agreement"})
                ).status_code == 200
                await hrss.aclose()
                await page.reload()
                card = page.locator(f"li[data-case-id='{case_id}']")
                await card.locator("input[name=knew_of_breach_on]").fill(
                    (business_date(datetime.now(UTC)) - timedelta(days=20)).isoformat()
                )
                await card.locator("button.apply-arbitration").click()
                await page.wait_for_selector(f"li[data-case-id='{case_id}'] .status:text('已申请仲裁')")
                assert "仲裁受理期限" in await card.locator("p.due").inner_text()

                # Mobile-first: nothing wider than the phone; no request leaves this service.
                assert await page.evaluate("document.documentElement.scrollWidth") <= 375
                assert requested and all(u.startswith(server.url) for u in requested), requested
            finally:
                await browser.close()
        await platform.aclose()
