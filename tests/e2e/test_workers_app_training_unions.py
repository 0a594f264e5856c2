"""The workers' app's 技能培训, 工会 and 热线与通知 sections in a real headless Chromium on a phone (360 × 740), with
training and unions running behind the gateway's pass-through: a course of the worker's occupation to
enrol in, a subsidy claimed with a certificate and its state (M13); the union covering the worker's
platform joined online, the membership accepted, and the collective contract that binds the worker
shown with its standards in plain words (M17); the notices departments publish for the worker's
district and occupation (M11), and none for another district; the rest station nearest to the worker,
reported full (M14)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import httpx
from playwright.async_api import async_playwright

from newform_common.clock import now
from newform_common.policy import business_date
from newform_common.testing import TokenFactory, credit_code, eventually, resident_id, scalar

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.workers_app import (
    PHONE,
    SCREENSHOTS,
    platform_headers,
    send_contract,
    sign_in_with_local_token,
    workers_stack,
)

TERMS = {
    "piece_rates": [{"occupation": "food_delivery", "order_type": "standard", "min_rate_fen": 500}],
    "quotas": [{"occupation": "food_delivery", "max_orders_per_day": 60}],
    "bad_weather_allowance_fen_per_day": 2000,
}


def day(offset: int) -> str:
    return (business_date(now()) + timedelta(days=offset)).isoformat()


async def test_a_worker_enrols_claims_a_subsidy_joins_the_union_and_reads_the_collective_contract(new_database, kafka):
    tokens = TokenFactory.generate()
    hrss = tokens.headers("department", subject="hrss-1", department="hrss")
    union_dept = tokens.headers("department", subject="union-1", department="union")
    async with (
        workers_stack(new_database, kafka, tokens, everything=True) as stack,
        httpx.AsyncClient(base_url=stack.contracts) as contracts,
        httpx.AsyncClient(base_url=stack.training) as training,
        httpx.AsyncClient(base_url=stack.unions) as unions,
        async_playwright() as p,
    ):
        sent = await send_contract(contracts, tokens, resident_id(), district="chengdong")
        platform = platform_headers(tokens, sent.platform_id)
        # hrss: a provider and a course for food-delivery riders; a certification body that certifies them.
        provider = "prv-" + secrets.token_hex(4)
        r = await training.post(
            "/v1/providers",
            headers=hrss,
            json={
                "provider_id": provider,
                "name": "西宁市职业技能培训学校",
                "kind": "institution",
                "credit_code": credit_code(),
                "district": "chengdong",
                "occupations": ["food_delivery"],
            },
        )
        assert r.status_code == 201, r.text
        course = {"provider_id": provider, "occupation": "food_delivery", "level": 5, "district": "chengdong"}
        r = await training.post("/v1/courses", headers=hrss, json={**course, "starts_on": day(7), "ends_on": day(20)})
        assert r.status_code == 201, r.text
        body = "cb-" + secrets.token_hex(4)
        r = await training.post(
            "/v1/certification-bodies",
            headers=hrss,
            json={
                "body_id": body,
                "name": "职业技能鉴定中心",
                "credit_code": credit_code(),
                "scope": [{"occupation": "food_delivery", "levels": [5, 4]}],
            },
        )
        assert r.status_code == 201, r.text
        certificate = "QH-" + secrets.token_hex(4)
        r = await training.post(
            "/v1/certificates",
            headers=tokens.headers("training_body", subject=body),
            json={
                "certificate_number": certificate,
                "worker_id": sent.worker_id,
                "occupation": "food_delivery",
                "level": 5,
                "issued_on": day(-5),
            },
        )
        assert r.status_code == 201, r.text
        # the union department: a union covering the platform, and a collective contract in force binding it.
        union_id = "un-" + secrets.token_hex(4)
        r = await unions.post(
            "/v1/unions",
            headers=union_dept,
            json={
                "union_id": union_id,
                "name": "示例平台联合工会",
                "kind": "enterprise",
                "platform_ids": [sent.platform_id],
                "established_on": day(-100),
            },
        )
        assert r.status_code == 201, r.text
        r = await unions.post(
            "/v1/collective_contracts",
            headers=union_dept,
            json={
                "union_id": union_id,
                "kind": "enterprise",
                "title": "外卖配送员集体合同",
                "platform_ids": [sent.platform_id],
                "occupations": ["food_delivery"],
                "effective_from": day(-10),
                "effective_until": day(365),
                "terms": TERMS,
            },
        )
        assert r.status_code == 201, r.text
        cc = r.json()["collective_contract_id"]
        for step, headers, payload in (
            ("signing", union_dept, {"signed_on": day(-3)}),
            ("submission", platform, {"submitted_on": day(-2)}),
            ("review", hrss, {"decision": "approve", "on": day(0)}),
        ):
            r = await unions.post(f"/v1/collective_contracts/{cc}/{step}", headers=headers, json=payload)
            assert r.status_code == 200, r.text
        # hrss publishes a job fair for riders in 城东区, and one for 城北区 only.
        departments = httpx.AsyncClient(base_url=stack.departments)
        for reference, district in (("JF-1", "chengdong"), ("JF-2", "chengbei")):
            r = await departments.post(
                "/v1/notices",
                headers=hrss,
                json={
                    "reference": reference,
                    "kind": "job_fair",
                    "title": f"{'城东区' if district == 'chengdong' else '城北区'}新就业形态专场招聘会",
                    "body": "时间：本周六上午九时\n地点：区人力资源市场",
                    "contact": "0971-1234567",
                    "valid_from": day(-1),
                    "valid_until": day(30),
                    "districts": [district],
                    "occupations": ["food_delivery"],
                },
            )
            assert r.status_code == 201, r.text
        # drc keeps a rest station in 城东区, open around the clock (M14).
        drc = tokens.headers("department", subject="drc-1", department="drc")
        r = await departments.post(
            "/v1/rest-stations",
            headers=drc,
            json={
                "reference": "ZD-1",
                "name": "城东区东关大街户外劳动者驿站",
                "address": "东关大街 1 号",
                "district": "chengdong",
                "lat": 36.6205,
                "lon": 101.7900,
                "amenities": ["charging", "drinking_water", "heating"],
                "hours": {"always_open": True},
                "phone": "0971-7654321",
            },
        )
        assert r.status_code == 201, r.text
        await departments.aclose()

        async def registration_copied() -> bool:
            """unions and departments have their copy of contracts' registration of the worker."""
            found = [
                await scalar(db, "select count(*) from worker_registrations where worker_id = :w", w=sent.worker_id)
                for db in (stack.unions_database, stack.departments_database)
            ]
            return all(found)

        await eventually(registration_copied, timeout=60)

        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(
                viewport=PHONE,
                locale="zh-CN",
                has_touch=True,
                is_mobile=True,
                geolocation={"latitude": 36.6240, "longitude": 101.7900},  # about 390 m north of the station
                permissions=["geolocation"],
            )
            await sign_in_with_local_token(page, tokens.token("worker", subject=sent.worker_id))
            await page.goto(f"{stack.gateway}/app/#training")

            # 技能培训: the course of my occupation; enrol; claim the subsidy with my certificate.
            course_card = page.locator("#course-list li.card")
            await course_card.wait_for()
            assert "外卖送餐员 · 5 级" in await course_card.inner_text()
            await course_card.get_by_role("button", name="报名").click()
            await page.locator("#notice :text('已报名')").wait_for()
            await course_card.locator(":text('已报名，请按时参加培训。')").wait_for()
            assert await course_card.get_by_role("button", name="报名").count() == 0
            # After a reload the app still knows (training's record of my enrolments): no second 报名.
            await page.reload()
            await course_card.locator(":text('已报名，请按时参加培训。')").wait_for()
            assert await course_card.get_by_role("button", name="报名").count() == 0
            await page.locator("#claim-form").locator("xpath=..").locator("summary").click()
            # A number no body issued: refused in Chinese (the problem type's Chinese title when the detail is not).
            await page.get_by_label("证书编号").fill("QH-NOT-ISSUED")
            await page.get_by_label("培训地点（区县）").select_option(label="城东区")
            await page.get_by_role("button", name="提交申请").click()
            error = page.locator("#claim-error")
            # A locator, not wait_for_function: the app's CSP (script-src 'self') refuses a predicate's eval.
            await page.locator("#claim-error:not(:empty)").wait_for()
            assert re.fullmatch(r"[^A-Za-z]*", await error.inner_text()), await error.inner_text()
            await page.get_by_label("证书编号").fill(certificate)
            await page.get_by_label("培训地点（区县）").select_option(label="城东区")
            await page.get_by_role("button", name="提交申请").click()
            claim = page.locator("#claim-list li.card")
            await claim.locator(f":text('证书 {certificate}')").wait_for()
            text = await claim.inner_text()
            assert "已提交，待审核" in text and "补贴发给本人" in text.replace("\n", ""), text

            # 工会: join the union covering my platform; it accepts; the collective contract binding me.
            await page.get_by_role("button", name="工会").click()
            offer = page.locator("#union-list li.card")
            await offer.locator(":text('示例平台联合工会')").wait_for()
            await offer.get_by_role("button", name="申请入会").click()
            membership = page.locator("#membership-list li.card")
            await membership.locator(":text('已申请，待工会审核')").wait_for()
            r = await unions.get("/v1/memberships", headers=union_dept, params={"union_id": union_id})
            [applied] = r.json()["items"]
            r = await unions.post(
                f"/v1/memberships/{applied['membership_id']}/decision", headers=union_dept, json={"decision": "accept"}
            )
            assert r.status_code == 200, r.text
            await page.get_by_role("button", name="工会").click()
            await membership.locator(":text('会员')").wait_for()
            assert "示例平台联合工会" in await membership.inner_text()
            assert "您已加入工会" in await page.locator("#union-list").inner_text()  # one membership a person
            collective = page.locator("#collective-list li.card")
            await collective.locator(":text('外卖配送员集体合同')").wait_for()
            text = await collective.inner_text()
            for words in (f"生效日期\n{day(0)}", "5.00 元", "60 单", "20.00 元"):
                assert words in text, (words, text)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "workers-app-unions-360.png"), full_page=True)

            # 热线与通知: the hotline, and the job fair of my district (not the other district's).
            await page.get_by_role("button", name="热线与通知").click()
            notice = page.locator("#notice-list li[data-notice-id]")
            await notice.wait_for()
            assert await notice.count() == 1
            text = await notice.inner_text()
            assert "城东区新就业形态专场招聘会" in text and "招聘会" in text and "0971-1234567" in text, text
            assert "措施 M11" in text

            # The rest station nearest to where I am; it is full: I say so, and its keeper is told.
            await page.get_by_role("button", name="查找附近驿站").click()
            station = page.locator("#station-list li[data-station-id]")
            await station.wait_for()
            text = await station.inner_text()
            for words in ("城东区东关大街户外劳动者驿站", "正在开放", "约 389 米", "充电、饮水、取暖"):
                assert words in text, (words, text)
            await station.get_by_role("button", name="报告问题").click()  # two taps: then what is wrong
            await station.get_by_role("button", name="人满了").click()
            await station.locator(".ok", has_text="已报告").wait_for()
            await page.screenshot(path=str(SCREENSHOTS / "workers-app-notices-360.png"), full_page=True)
            async with httpx.AsyncClient(base_url=stack.departments) as keeper:
                reports = (await keeper.get("/v1/rest-station-reports", headers=drc)).json()
            assert [r["kind"] for r in reports] == ["full"], reports
        finally:
            await browser.close()
