"""Signing in through the real identity provider (issue 21), as each kind of user does: a platform
gets a token by client credentials and calls contracts with it; a worker signs in on Keycloak's own
login page and is, to contracts, the same pseudonymous person the platform registered; the provider
rotates its signing key and the services keep serving; an officer signs in to the dashboard through
the provider and out again."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from newform_common.testing import app_client
from newform_contracts.main import create_app as contracts_app
from newform_gateway.main import create_app as gateway_app
from newform_local.ports import free_port

from ..kit.idp import decode_header
from ..kit.loopback import LoopbackServer
from ..kit.stack import contracts_settings_for, gateway_settings_for, register_platform

PLATFORM = "demo-platform"  # the platform whose client the realm holds


async def sign_in_at(provider: httpx.AsyncClient, login_page: httpx.Response, user) -> httpx.Response:
    """Post the provider's login form as a browser does. Keycloak marks its cookies Secure on
    loopback (browsers treat http://127.0.0.1 as a secure context; Python's cookie jar does not send
    Secure cookies over http), so they are sent back by hand."""
    action = html.unescape(re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', login_page.text)[1])
    cookies = "; ".join(f"{c.name}={c.value}" for c in login_page.cookies.jar)
    return await provider.post(
        action,
        data={"username": user.username, "password": user.password, "credentialId": ""},
        headers={"Cookie": cookies},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def with_retry(call):
    """A request retried once after a 503's Retry-After: what a client does during a key rotation."""
    response = await call()
    if response.status_code == 503 and "retry-after" in response.headers:
        await asyncio.sleep(float(response.headers["retry-after"]))
        response = await call()
    return response


@pytest.fixture
async def contracts(keycloak, new_database, kafka, tokens):
    prefix = f"idp{uuid.uuid4().hex[:8]}"
    settings = await contracts_settings_for(
        new_database, kafka, tokens, prefix, oidc_issuers=keycloak.issuer, run_relay=False
    )
    async with app_client(contracts_app(settings)) as client:
        await register_platform(client, tokens, PLATFORM, district="chengzhong", occupation="food_delivery")
        yield client


async def test_a_platform_and_a_worker_signed_in_at_the_provider_meet_in_contracts(keycloak, contracts, tokens):
    platform = await asyncio.to_thread(keycloak.client_credentials_token, PLATFORM)
    zhang = keycloak.users["worker-zhang"]
    registered = await contracts.post(
        "/v1/workers",
        headers=bearer(platform),
        json={
            "name": "张伟",
            "id_number": zhang.id_number,
            "phone": "13800001234",
            "occupation": "food_delivery",
            "residence_district": "chengzhong",
        },
    )
    assert registered.status_code == 201, registered.text
    # The worker signs in on the provider's login page; contracts knows them as the person registered.
    worker = (await asyncio.to_thread(keycloak.login, "worker-zhang"))["access_token"]
    mine = await contracts.get("/v1/workers", headers=bearer(worker))
    assert mine.status_code == 200, mine.text
    assert [w["worker_id"] for w in mine.json()["items"]] == [registered.json()["worker_id"]]
    assert zhang.id_number not in mine.text
    # Another worker sees none of it; the platform cannot read another platform's registrations.
    li = (await asyncio.to_thread(keycloak.login, "worker-li"))["access_token"]
    assert (await contracts.get("/v1/workers", headers=bearer(li))).json()["items"] == []
    other = await contracts.get("/v1/workers", params={"platform_id": "other"}, headers=bearer(platform))
    assert other.status_code == 403
    # A regulator's local token still works beside the provider's.
    assert (await contracts.get("/v1/workers", headers=tokens.headers("regulator"))).status_code == 200


async def test_the_services_keep_serving_through_a_rotation_of_the_providers_signing_key(keycloak, contracts):
    before = await asyncio.to_thread(keycloak.client_credentials_token, PLATFORM)
    assert (await contracts.get("/v1/workers", headers=bearer(before))).status_code == 200
    new_kid = await asyncio.to_thread(keycloak.admin.rotate_signing_key)
    after = await asyncio.to_thread(keycloak.client_credentials_token, PLATFORM)
    assert decode_header(after)["kid"] == new_kid != decode_header(before)["kid"]
    assert (await with_retry(lambda: contracts.get("/v1/workers", headers=bearer(after)))).status_code == 200
    assert (await contracts.get("/v1/workers", headers=bearer(before))).status_code == 200  # still published


async def test_an_officer_signs_in_to_the_dashboard_through_the_provider_and_out_again(
    keycloak, new_database, kafka, tokens
):
    settings = await gateway_settings_for(new_database, kafka, tokens, f"idp{uuid.uuid4().hex[:8]}")
    signing_key = tokens.private_pem
    settings = settings.model_copy(
        update={
            "oidc_issuers": keycloak.issuer,
            "token_signing_key": signing_key,
            "run_consumers": False,
            "dev_mode": False,  # as in production: no token pasting beside the provider
        }
    )
    async with LoopbackServer(gateway_app(settings), free_port()) as gateway:
        async with (
            httpx.AsyncClient(base_url=gateway.url, follow_redirects=False, timeout=30) as browser,
            httpx.AsyncClient(follow_redirects=False, timeout=30) as provider,
        ):
            page = await browser.get("/signin")
            assert "通过统一身份认证登录" in page.text and 'name="token"' not in page.text  # no token pasting
            to_provider = await browser.get("/signin/idp", params={"next": "/alerts"})
            assert to_provider.status_code == 303
            login = await provider.get(to_provider.headers["location"])
            assert login.status_code == 200 and 'id="kc-form-login"' in login.text
            officer = keycloak.users["officer-chengzhong"]
            back = await sign_in_at(provider, login, officer)
            assert back.status_code == 302, back.text[-2000:]
            assert back.headers["location"].startswith(f"{gateway.url}/signin/callback")
            signed_in = await browser.get(back.headers["location"])
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/alerts", signed_in.text
            alerts = await browser.get("/alerts")
            assert alerts.status_code == 200 and "退出" in alerts.text
            out = await browser.post("/signout")
            assert out.status_code == 303 and out.headers["location"].startswith(keycloak.issuer)
            assert parse_qs(urlsplit(out.headers["location"]).query)["post_logout_redirect_uri"] == [
                f"{gateway.url}/signin"
            ]
            assert (await browser.get("/alerts")).status_code == 303  # back to the sign-in page
            # A worker's account has no place on the regulator's dashboard.
            login = await provider.get((await browser.get("/signin/idp")).headers["location"])
            worker = keycloak.users["worker-li"]
            back = await sign_in_at(provider, login, worker)
            refused = await browser.get(back.headers["location"])
            assert refused.status_code == 403 and "无权使用本平台" in refused.text
            assert (await browser.get("/alerts")).status_code == 303
