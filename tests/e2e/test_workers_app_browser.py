"""The workers' app in a real headless Chromium on a phone (360 × 740), against real services on uvicorn
behind the gateway's pass-through, fed through real Kafka: a platform sends a contract to a worker
(registered by ID number); the worker signs it in the app, sees the platform's pay statement and
reports a shortfall in two taps, files a complaint and follows it to mediation and arbitration, asks
for legal aid, meets a service that is down (said in Chinese, with 重试), and signs out.

Signing in: a worker token minted for the pseudonym of that ID number is put in the tab's session the
way the app keeps the tokens it gets from the identity provider (`sign_in_with_local_token`, a
test-only path: the page itself never asks for a token)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, async_playwright

from newform_common.policy import business_date
from newform_common.testing import TokenFactory, eventually, resident_id, scalar

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.wages import statement
from ..kit.workers_app import (
    CONTRASTS_JS,
    PHONE,
    SCREENSHOTS,
    platform_headers,
    send_contract,
    sign_in_with_local_token,
    workers_stack,
)


async def assert_fits_a_phone(page: Page) -> None:
    """Nothing wider than the screen; every visible control at least 44 px tall; every field labelled;
    every visible text at least 4.5:1 against its background (WCAG 2.1 AA, 1.4.3)."""
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    contrasts = await page.evaluate(CONTRASTS_JS)
    assert contrasts and contrasts[0][0] >= 4.5, contrasts[:5]
    small = await page.evaluate(
        """() => [...document.querySelectorAll('button, a.call, summary, input, select, textarea')]
            .filter((e) => e.offsetParent !== null && e.type !== 'checkbox')
            .filter((e) => e.getBoundingClientRect().height < 44)
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert small == [], small
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter((e) => e.offsetParent !== null && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == [], unlabelled


async def test_a_worker_signs_sees_pay_complains_follows_the_case_and_signs_out_on_a_phone(new_database, kafka):
    tokens = TokenFactory.generate()
    async with (
        workers_stack(new_database, kafka, tokens) as stack,
        httpx.AsyncClient(base_url=stack.contracts) as contracts,
        httpx.AsyncClient(base_url=stack.wages) as wages,
        httpx.AsyncClient(base_url=stack.disputes) as disputes,
        async_playwright() as p,
    ):
        id_number = resident_id()
        sent = await send_contract(contracts, tokens, id_number, start_date="2026-11-01")
        # Another platform calls the same person's work a civil relation while the facts say employment (M1).
        civil = await send_contract(contracts, tokens, id_number, engagement_type="civil", start_date="2026-11-01")
        platform = platform_headers(tokens, sent.platform_id)
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            await sign_in_with_local_token(page, tokens.token("worker", subject=sent.worker_id))
            await walk_through(page, stack, sent, civil, platform, contracts, wages, disputes, tokens)
            assert requested and all(u.startswith(stack.gateway) for u in requested), requested
        finally:
            await browser.close()


async def walk_through(page, stack, sent, civil, platform, contracts, wages, disputes, tokens) -> None:
    # Offline from the start: the page says so and offers 重试, which works once the network is back.
    await page.route("**/app/config.json", lambda route: route.abort())
    await page.goto(f"{stack.gateway}/app/")
    await page.locator("#notice :text('网络连接失败，请检查网络后重试。')").wait_for()
    await page.unroute("**/app/config.json")
    await page.locator("#notice").get_by_role("button", name="重试").click()
    await page.locator("#notice").wait_for(state="hidden")
    # 我的合同: the contract in plain words, to be signed.
    card = page.locator(f"#contract-list li[data-contract-id='{sent.contract_id}']")
    await card.wait_for()
    text = await card.inner_text()
    for words in ("待您签署", "劳动合同", "按月结算", "每月10日", "4,500.00 元", "工伤保险：有", "职业伤害保障：无"):
        assert words in text, (words, text)
    # The platform by its registered name (contracts' public directory), not its id.
    assert f"示例配送平台{sent.platform_id[-3:]} · 劳动合同" in text and sent.platform_id not in text, text
    # The finding that concerns me, in plain words, on the other platform's contract.
    flagged = page.locator(f"#contract-list li[data-contract-id='{civil.contract_id}']")
    text = await flagged.inner_text()
    assert "民事协议" in text and "提示（M1）：" in text and "M1.misclassification" not in text, text
    await assert_fits_a_phone(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "workers-app-contracts-360.png"), full_page=True)
    await card.get_by_role("button", name="签署合同").click()
    await page.wait_for_selector(f"li[data-contract-id='{sent.contract_id}'] :text('您已签署，待平台签署')")
    r = await contracts.get(f"/v1/contracts/{sent.contract_id}", headers=platform)
    assert r.json()["signed_by"] == ["worker"]

    # The platform signs too, and reports November's pay: 500 yuan short.
    r = await contracts.post(
        f"/v1/contracts/{sent.contract_id}/signatures",
        headers=platform,
        json={"signer": "enterprise", "intent": "同意"},
    )
    assert r.status_code == 201, r.text
    line = statement(
        "nov-1",
        sent.contract_id,
        sent.worker_id,
        period_start="2026-11-01",
        period_end="2026-11-30",
        due_date="2026-12-05",
        gross_fen=300_000,
        base_fen=300_000,
        paid_fen=250_000,
        paid_on="2026-12-04",
    )
    r = await wages.post("/v1/statements", headers=platform, json=line)
    assert r.status_code == 201, r.text
    for n, (start, end) in enumerate((("09:00", "17:30"), ("18:00", "19:00"))):  # 3 November: 9.5 hours
        session = {"line_id": f"s-{n}", "worker_id": sent.worker_id, "contract_id": sent.contract_id}
        times = {"started_at": f"2026-11-03T{start}:00+08:00", "ended_at": f"2026-11-03T{end}:00+08:00"}
        r = await wages.post("/v1/sessions", headers=platform, json={**session, **times})
        assert r.status_code == 201, r.text
    # The other platform restricts the account at once, without notice (M5): the worker appeals in the app.
    r = await contracts.post(
        "/v1/account-restrictions",
        headers=platform_headers(tokens, civil.platform_id),
        json={
            "registration_id": civil.registration_id,
            "action": "restrict",
            "reason_code": "order_fraud",
            "effective_at": datetime.now(UTC).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    restriction_id = r.json()["restriction_id"]
    await page.reload()
    await page.wait_for_selector(f"li[data-contract-id='{sent.contract_id}'] :text('已签署生效')")
    restriction = page.locator(f"#restriction-list li[data-restriction-id='{restriction_id}']")
    text = await restriction.inner_text()
    for words in ("限制接单", "正在执行", "刷单、虚构订单等欺诈行为", "未告知", "提示（M5）："):
        assert words in text, (words, text)
    await restriction.get_by_role("button", name="我要申诉").click()
    await restriction.get_by_label("申诉理由").fill("我没有刷单，订单均为真实配送，可调取配送轨迹")
    await restriction.get_by_role("button", name="提交申诉").click()
    await restriction.locator(":text('申诉已提交')").wait_for()
    r = await contracts.get(
        f"/v1/account-restrictions/{restriction_id}/appeals", headers=platform_headers(tokens, civil.platform_id)
    )
    assert [(a["worker_id"], a["status"]) for a in r.json()] == [(sent.worker_id, "open")]

    # 我的工资与工时: the statement in yuan with its dates; a shortfall reported in two taps.
    await page.get_by_role("button", name="工资与工时").click()
    card = page.locator("#statement-months li[data-statement-id]")
    await card.wait_for()
    text = await card.inner_text()
    for words in ("2026-11-01 至 2026-11-30", "3,000.00 元", "2,500.00 元", "尚欠 500.00 元，发放日 2026-12-05 已过"):
        assert words in text, (words, text)
    assert f"示例配送平台{sent.platform_id[-3:]} · 2026-11-01" in text and sent.platform_id not in text, text
    await card.get_by_role("button", name="工资有问题").click()  # tap 1
    await card.get_by_role("button", name="提交反映").click()  # tap 2 (the amount received is filled in)
    await card.locator(":text('已收到您的反映')").wait_for()
    assert "少发 500.00 元" in await card.inner_text()
    # Hours: the statement's month, every platform's sessions added up per day.
    assert await page.get_by_label("月份").input_value() == "2026-11"
    hours = await page.locator("#hours").inner_text()
    assert "2026年11月合计 9.5 小时" in hours and "2026-11-03：9.5 小时" in hours, hours
    await page.screenshot(path=str(SCREENSHOTS / "workers-app-wages-360.png"), full_page=True)

    # 投诉与调解: disputes knows the engagement from contracts' events.
    await eventually(
        lambda: scalar(
            stack.disputes_database, "select count(*) from engagements where contract_id = :c", c=sent.contract_id
        ),
        timeout=60,
    )
    await file_and_follow(page, sent, platform, disputes, tokens)

    # Offline: a request that fails says so in Chinese and offers 重试, which works once the network is back.
    await page.route("**/app/api/disputes/**", lambda route: route.abort())
    await page.get_by_role("button", name="投诉与调解").click()
    status = page.locator("#disputes .status")
    await status.locator(":text('网络连接失败')").wait_for()
    await page.unroute("**/app/api/disputes/**")
    await status.get_by_role("button", name="重试").click()
    await page.locator("#complaint-list li[data-complaint-id]").first.wait_for()
    await status.locator("p").wait_for(state="detached")
    # A service that is down: the gateway's 502, said in Chinese, with 重试.
    await page.get_by_role("button", name="技能培训").click()
    await page.locator("#training .status :text('暂时无法连接“技能培训”服务')").wait_for()
    assert await page.locator("#training .status").get_by_role("button", name="重试").is_visible()
    await page.screenshot(path=str(SCREENSHOTS / "workers-app-service-down-360.png"))

    # 热线与通知: the complaint hotline, callable.
    await page.get_by_role("button", name="热线与通知").click()
    assert await page.locator("#hotline-list a[href='tel:12333']").is_visible()
    await assert_fits_a_phone(page)

    # Sign out: back to the sign-in card (no identity provider here, and the page never asks for a token).
    await page.get_by_role("button", name="退出登录").click()
    await page.locator("#signin:not([hidden])").wait_for()
    assert "本环境未配置统一身份认证登录" in await page.locator("#signin").inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "workers-app-signed-out-360.png"))
    assert await page.locator("#tabs").is_hidden()
    assert await page.locator("input[type=password], textarea#token, input#token").count() == 0


async def file_and_follow(page, sent, platform, disputes, tokens) -> None:
    await page.get_by_role("button", name="投诉与调解").click()
    await page.locator("#complaint-new summary").click()
    form = page.locator("#complaint-form")
    await form.get_by_label("投诉事项").select_option(label="劳动报酬")
    await form.get_by_label("涉及的合同").select_option(value=sent.contract_id)
    await form.get_by_label("具体情况").fill("十一月工资少发五百元")
    await form.get_by_role("button", name="提交投诉").click()
    card = page.locator("#complaint-list li[data-complaint-id]")
    await card.wait_for()
    complaint_id = await card.get_attribute("data-complaint-id")
    text = await card.inner_text()
    r = await disputes.get(f"/v1/complaints/{complaint_id}", headers=platform)
    reply_due = r.json()["reply_due_on"]
    assert "待平台答复" in text and f"平台答复截止日：{reply_due}" in text, text

    # The platform answers; the worker does not accept and asks for mediation: a case to follow.
    r = await disputes.post(f"/v1/complaints/{complaint_id}/answer", headers=platform, json={"answer": "月底前补发"})
    assert r.status_code == 200, r.text
    await page.get_by_role("button", name="投诉与调解").click()
    card = page.locator(f"li[data-complaint-id='{complaint_id}']")
    await card.locator(":text('平台答复：月底前补发')").wait_for()
    await card.get_by_role("button", name="申请调解").click()
    await card.get_by_role("link", name="查看案件进度").click()
    case = page.locator("#case-list li[data-case-id]")
    await case.wait_for()
    assert "已申请，待受理" in await case.inner_text()
    case_id = await case.get_attribute("data-case-id")

    # The mediation body accepts: the 15-day limit shows as a date; no agreement; the worker applies
    # for arbitration from the app, then asks for legal aid.
    hrss = tokens.headers("department", subject="hrss-1", department="hrss")
    assert (await disputes.post(f"/v1/cases/{case_id}/acceptance", headers=hrss, json={})).status_code == 200
    await page.get_by_role("button", name="投诉与调解").click()
    case = page.locator(f"li[data-case-id='{case_id}']")
    await case.locator(":text('调解中')").wait_for()
    limit = (business_date(datetime.now(UTC)) + timedelta(days=15)).isoformat()
    assert f"调解截止日：{limit}（还有 15 天）" in await case.inner_text()
    r = await disputes.post(f"/v1/cases/{case_id}/outcome", headers=hrss, json={"outcome": "no_agreement"})
    assert r.status_code == 200, r.text
    await page.get_by_role("button", name="投诉与调解").click()
    await case.locator(":text('调解未成')").wait_for()
    knew = (business_date(datetime.now(UTC)) - timedelta(days=2)).isoformat()
    await case.get_by_label("知道权利被侵害的日期").fill(knew)
    await case.get_by_role("button", name="申请劳动仲裁").click()
    await case.locator(":text('已申请仲裁')").wait_for()
    assert "仲裁受理截止日" in await case.inner_text()
    await case.get_by_role("button", name="申请法律援助").click()
    await case.locator(":text('已申请法律援助')").wait_for()

    # Another complaint, answered to the worker's satisfaction: accepted, and resolved.
    await page.locator("#complaint-new summary").click()
    await form.get_by_label("涉及的合同").select_option(value=sent.contract_id)
    await form.get_by_label("投诉事项").select_option(label="劳动报酬")
    await form.get_by_label("具体情况").fill("高温补贴未发")
    await form.get_by_role("button", name="提交投诉").click()
    newest = page.locator("#complaint-list li[data-complaint-id]").first
    await newest.locator(":text('高温补贴未发')").wait_for()
    second = await newest.get_attribute("data-complaint-id")
    r = await disputes.post(f"/v1/complaints/{second}/answer", headers=platform, json={"answer": "已补发"})
    assert r.status_code == 200, r.text
    await page.get_by_role("button", name="投诉与调解").click()
    accepted = page.locator(f"li[data-complaint-id='{second}']")
    await accepted.get_by_role("button", name="接受答复").click()
    await accepted.locator(":text('已办结（已接受答复）')").wait_for()

    # Without a contract: the platform, the occupation and the place instead; sent to the departments.
    await page.locator("#complaint-new summary").click()
    await form.get_by_label("涉及的合同").select_option(label="没有合同／不涉及合同")
    await form.get_by_label("投诉事项").select_option(label="劳动安全")
    await form.get_by_label("平台编号").fill(sent.platform_id)
    await form.get_by_label("我的职业").select_option(label="外卖送餐员")
    await form.get_by_label("发生地（区县）").select_option(label="城北区")
    await form.get_by_label("具体情况").fill("暴雪天气仍要求限时送达")
    await form.get_by_role("button", name="提交投诉").click()
    newest = page.locator("#complaint-list li[data-complaint-id]").first
    await newest.locator(":text('劳动安全')").wait_for()
    await newest.get_by_role("button", name="向主管部门反映").click()
    await page.locator("#complaint-list li[data-complaint-id] >> nth=0 >> :text('已向主管部门反映')").wait_for()
    r = await disputes.get("/v1/complaints", headers=platform)
    safety = [c for c in r.json()["items"] if c["category"] == "safety"]
    assert [(c["contract_id"], c["district"], c["resolution"]) for c in safety] == [(None, "chengbei", "department")]
    await page.screenshot(path=str(SCREENSHOTS / "workers-app-disputes-360.png"), full_page=True)
