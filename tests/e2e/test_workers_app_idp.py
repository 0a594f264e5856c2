"""The workers' app signs a demo worker in through the identity provider's own login page (Keycloak,
the `keycloak` session fixture): authorization code + PKCE S256 in the browser, the code exchanged at
the provider's token endpoint, the services trusting the provider's access token (the worker's
pseudonym derived from the verified ID number, the one a platform's contract names); the worker signs a
contract, sees a statement, files a complaint and follows its case, the token is refreshed, and
signing out ends the provider's session too. On a 360 × 740 phone viewport."""

from __future__ import annotations

import json

import httpx
from playwright.async_api import Page, async_playwright

from newform_common.testing import TokenFactory, eventually, scalar, worker_id_of

from ..kit.browser import CHROMIUM, CHROMIUM_ARGS
from ..kit.idp import decode_claims
from ..kit.wages import statement
from ..kit.workers_app import PHONE, SCREENSHOTS, platform_headers, send_contract, workers_stack


async def test_a_demo_worker_signs_in_through_the_identity_providers_page_and_out_again(new_database, kafka, keycloak):
    tokens = TokenFactory.generate()
    person = keycloak.workers[0]
    async with (
        workers_stack(new_database, kafka, tokens, oidc_issuer=keycloak.issuer) as stack,
        httpx.AsyncClient(base_url=stack.contracts) as contracts,
        httpx.AsyncClient(base_url=stack.wages) as wages,
        httpx.AsyncClient(base_url=stack.disputes) as disputes,
        async_playwright() as p,
    ):
        # A platform reports the person by the ID number the provider verified: the same pseudonym.
        sent = await send_contract(contracts, tokens, person.id_number, start_date="2026-11-01")
        assert sent.worker_id == worker_id_of(person.id_number)
        platform = platform_headers(tokens, sent.platform_id)
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
            await page.goto(f"{stack.gateway}/app/")
            await sign_in_through_keycloak(page, stack, keycloak, person)
            # What the app holds: the provider's tokens, for this tab only.
            held = json.loads(await page.evaluate("sessionStorage.getItem('newform.app.tokens')"))
            assert held["refresh_token"] and held["id_token"]
            assert decode_claims(held["access_token"])["iss"] == keycloak.issuer
            # Before it expires the app refreshes the access token with the refresh token.
            await page.evaluate("Auth.refresh()")
            refreshed = json.loads(await page.evaluate("sessionStorage.getItem('newform.app.tokens')"))
            assert refreshed["access_token"] != held["access_token"] and refreshed["expires_at"] > held["expires_at"]

            card = page.locator(f"#contract-list li[data-contract-id='{sent.contract_id}']")
            await card.get_by_role("button", name="签署合同").click()
            await card.locator(":text('您已签署，待平台签署')").wait_for()
            r = await contracts.get(f"/v1/contracts/{sent.contract_id}/evidence", headers=platform)
            assert [rec["signer"] for rec in r.json()["records"]] == ["worker"]

            r = await contracts.post(
                f"/v1/contracts/{sent.contract_id}/signatures",
                headers=platform,
                json={"signer": "enterprise", "intent": "同意"},
            )
            assert r.status_code == 201, r.text
            line = statement(
                "nov-kc",
                sent.contract_id,
                sent.worker_id,
                period_start="2026-11-01",
                period_end="2026-11-30",
                due_date="2026-12-05",
                paid_on="2026-12-03",
            )
            assert (await wages.post("/v1/statements", headers=platform, json=line)).status_code == 201
            await page.get_by_role("button", name="工资与工时").click()
            statement_card = page.locator("#statement-months li[data-statement-id]")
            await statement_card.wait_for()
            assert "3,000.00 元" in await statement_card.inner_text()

            await eventually(
                lambda: scalar(
                    stack.disputes_database,
                    "select count(*) from engagements where contract_id = :c",
                    c=sent.contract_id,
                ),
                timeout=60,
            )
            await page.get_by_role("button", name="投诉与调解").click()
            await page.locator("#complaint-new summary").click()
            form = page.locator("#complaint-form")
            await form.get_by_label("投诉事项").select_option(label="劳动报酬")
            await form.get_by_label("具体情况").fill("绩效奖金未发放")
            await form.get_by_role("button", name="提交投诉").click()
            complaint = page.locator("#complaint-list li[data-complaint-id]")
            await complaint.get_by_role("button", name="申请调解").click()
            await complaint.get_by_role("link", name="查看案件进度").click()
            case = page.locator("#case-list li[data-case-id]")
            await case.locator(":text('已申请，待受理')").wait_for()
            r = await disputes.get("/v1/cases", headers=platform)
            assert [c["worker_id"] for c in r.json()["items"]] == [sent.worker_id]

            # Sign out: the provider's session ends too, and the app is back at its sign-in card.
            ended: list[str] = []
            page.on("request", lambda request: ended.append(request.url) if "/logout" in request.url else None)
            await page.get_by_role("button", name="退出登录").click()
            await page.wait_for_url(f"{stack.gateway}/app/")  # post_logout_redirect_uri (it was /app/#disputes)
            assert ended and ended[0].startswith(f"{keycloak.issuer}/protocol/openid-connect/logout?")
            assert "id_token_hint=" in ended[0]
            await page.get_by_role("button", name="实名登录").wait_for()
            assert await page.evaluate("sessionStorage.getItem('newform.app.tokens')") is None
            await page.get_by_role("button", name="实名登录").click()
            await page.wait_for_url(f"{keycloak.issuer}/**")
            assert await page.locator("#kc-form-login").is_visible()  # asked again: no session left
        finally:
            await browser.close()


async def sign_in_through_keycloak(page: Page, stack, keycloak, person) -> None:
    """Through the provider's own login page (zh-CN), back to the app with a code it exchanges."""
    assert "请使用统一身份认证" in await page.locator("#signin").inner_text()
    await page.get_by_role("button", name="实名登录").click()
    await page.wait_for_url(f"{keycloak.issuer}/protocol/openid-connect/auth**")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "workers-app-keycloak-login-360.png"))
    await page.fill("#username", person.username)
    await page.fill("#password", person.password)
    await page.click("#kc-login")
    await page.wait_for_url(f"{stack.gateway}/app/**")
    await page.locator("#tabs:not([hidden])").wait_for()
    assert "code=" not in page.url
