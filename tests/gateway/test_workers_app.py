"""The workers' app on the gateway: the page and its files from this origin only, `config.json` with the
issuer's endpoints read server-side from its discovery document, and the same-origin API pass-through
to the registered services (only `/v1/...`; a service down is a 502 problem in Chinese)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from newform_common.testing import TokenFactory, app_client, migrated_database, resident_id, unique_name, worker_id_of
from newform_contracts.main import create_app as create_contracts_app
from newform_gateway.main import create_app
from newform_local.ports import free_port

from ..kit.contracts import make_settings
from ..kit.gateway import gateway_settings
from ..kit.gateway import migrated_database as gateway_database
from ..kit.loopback import LoopbackServer
from ..kit.workers_app import platform_headers, send_contract

PROBLEM = "application/problem+json"


def fake_issuer(port: int) -> FastAPI:
    """An identity provider's discovery document, as Keycloak serves it (only what the app reads)."""
    app = FastAPI()
    issuer = f"http://127.0.0.1:{port}/realms/newform"

    @app.get("/realms/newform/.well-known/openid-configuration")
    async def discovery() -> dict:
        base = f"{issuer}/protocol/openid-connect"
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{base}/auth",
            "token_endpoint": f"{base}/token",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": f"{base}/certs",
        }

    return app


def echo_service() -> FastAPI:
    """A service that answers with what reached it (method, path, query, body, headers), 201 and an ETag."""
    app = FastAPI()

    @app.api_route("/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request) -> JSONResponse:
        body = (await request.body()).decode()
        seen = {"method": request.method, "path": path, "query": str(request.query_params), "body": body}
        return JSONResponse(
            {**seen, "headers": dict(request.headers)},
            status_code=201,
            headers={"ETag": '"v7"', "Location": "/v1/things/1", "X-Internal": "secret", "Set-Cookie": "a=b"},
        )

    return app


async def gateway_for(new_database, kafka, tokens: TokenFactory, **overrides):
    url = await gateway_database(new_database)
    prefix = unique_name("gwa").replace("_", "")
    return gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem, run_deliverer=False, **overrides)


async def test_a_workers_token_reaches_contracts_through_the_pass_through(new_database, kafka):
    tokens = TokenFactory.generate()
    contracts_url = await migrated_database(new_database, "contracts")
    contracts_settings = make_settings(
        contracts_url, kafka.bootstrap_servers, tokens.public_pem, run_relay=False, run_consumers=False
    )
    async with LoopbackServer(create_contracts_app(contracts_settings), free_port()) as contracts_server:
        async with httpx.AsyncClient(base_url=contracts_server.url) as contracts:
            sent = await send_contract(contracts, tokens, resident_id())
        settings = await gateway_for(
            new_database, kafka, tokens, service_urls={"contracts": contracts_server.url, "wages": "http://127.0.0.1:9"}
        )
        async with app_client(create_app(settings)) as gateway:
            worker = tokens.headers("worker", subject=sent.worker_id)
            r = await gateway.get("/app/api/contracts/v1/contracts", headers=worker, params={"status": "sent"})
            assert r.status_code == 200, r.text
            assert [c["contract_id"] for c in r.json()["items"]] == [sent.contract_id]
            assert r.headers["content-type"].startswith("application/json")

            # The worker signs through the pass-through: body, Idempotency-Key and the answer come back as sent.
            sign = {"signer": "worker", "intent": "本人已阅读并同意本合同全部条款，自愿签署。"}
            headers = {**worker, "Idempotency-Key": "sign-once-1"}
            first = await gateway.post(
                f"/app/api/contracts/v1/contracts/{sent.contract_id}/signatures", headers=headers, json=sign
            )
            assert first.status_code == 201, first.text
            again = await gateway.post(
                f"/app/api/contracts/v1/contracts/{sent.contract_id}/signatures", headers=headers, json=sign
            )
            assert again.status_code == 201 and again.json()["record_id"] == first.json()["record_id"]
            r = await gateway.get(f"/app/api/contracts/v1/contracts/{sent.contract_id}", headers=worker)
            assert r.json()["signed_by"] == ["worker"]

            # Another worker's token: the service's own rules apply (nothing of this worker's is visible).
            other = tokens.headers("worker", subject=worker_id_of(resident_id()))
            r = await gateway.get(f"/app/api/contracts/v1/contracts/{sent.contract_id}", headers=other)
            assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
            # No token: the service's 401 comes back with its WWW-Authenticate.
            r = await gateway.get("/app/api/contracts/v1/contracts")
            assert r.status_code == 401 and "www-authenticate" in r.headers
            # The platform still sees its contract signed by the worker only (the pass-through is the same API).
            r = await gateway.get(
                f"/app/api/contracts/v1/contracts/{sent.contract_id}",
                headers=platform_headers(tokens, sent.platform_id),
            )
            assert r.json()["status"] == "sent"

            # Only /v1 paths of registered services.
            for path in (
                "/app/api/contracts/metrics",
                "/app/api/contracts/readyz",
                "/app/api/contracts/v1/../metrics",
                "/app/api/contracts/v1/%2E%2E/metrics",
                "/app/api/nosuchservice/v1/contracts",
                "/app/api/gateway/v1/alerts",
            ):
                r = await gateway.get(path, headers=worker)
                assert r.status_code == 404, (path, r.text)
                assert r.headers["content-type"].startswith(PROBLEM), path
                assert r.json()["type"].endswith("/not-found"), path

            # A service that is down: 502 problem+json saying so in Chinese.
            r = await gateway.get("/app/api/wages/v1/statements", headers=worker)
            assert r.status_code == 502 and r.headers["content-type"].startswith(PROBLEM)
            problem = r.json()
            assert problem["type"].endswith("/upstream-unavailable") and problem["status"] == 502
            assert "暂时无法连接" in problem["detail"] and "retry-after" in r.headers


async def test_config_gives_the_issuers_endpoints_the_client_and_the_api_bases(new_database, kafka):
    tokens = TokenFactory.generate()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/realms/newform"
    async with LoopbackServer(fake_issuer(port), port):
        settings = await gateway_for(new_database, kafka, tokens, oidc_issuers=f"{issuer}, http://other/x")
        async with app_client(create_app(settings)) as gateway:
            r = await gateway.get("/app/config.json")
            assert r.status_code == 200, r.text
            config = r.json()
    signin = config["signin"]
    assert signin["issuer"] == issuer and signin["client_id"] == "newform-app"
    assert signin["authorization_endpoint"] == f"{issuer}/protocol/openid-connect/auth"
    assert signin["token_endpoint"] == f"{issuer}/protocol/openid-connect/token"
    assert signin["end_session_endpoint"] == f"{issuer}/protocol/openid-connect/logout"
    assert config["api"]["contracts"] == "/app/api/contracts" and "gateway" not in config["api"]
    assert set(config["api"]) >= {"contracts", "wages", "disputes", "training", "unions"}
    assert config["names"]["districts"]["chengdong"] == "城东区"
    assert any(h["number"] == "12333" for h in config["hotlines"])

    # An issuer that cannot be read is a 502 the app can retry.
    settings = await gateway_for(
        new_database,
        kafka,
        tokens,
        oidc_issuers=f"http://127.0.0.1:{free_port()}/realms/x",
        worker_app_client_id="city-app",
    )
    async with app_client(create_app(settings)) as gateway:
        r = await gateway.get("/app/config.json")
        assert r.status_code == 502 and r.headers["content-type"].startswith(PROBLEM)
        assert "身份认证" in r.json()["detail"]

    # No issuer (`newform dev --no-idp`): no sign-in, and the app says so (it never asks for a token).
    settings = await gateway_for(new_database, kafka, tokens)
    async with app_client(create_app(settings)) as gateway:
        config = (await gateway.get("/app/config.json")).json()
        assert config["signin"] is None and config["api"]["disputes"] == "/app/api/disputes"
        page = await gateway.get("/app/")
        script = (await gateway.get("/app/static/app.js")).text
    assert "本环境未配置统一身份认证登录" in script
    assert "令牌" not in page.text and "token" not in page.text.lower()


async def test_production_may_send_the_apps_calls_to_an_ingress(new_database, kafka):
    tokens = TokenFactory.generate()
    settings = await gateway_for(new_database, kafka, tokens, worker_app_api_base="https://api.xining.example/")
    async with app_client(create_app(settings)) as gateway:
        config = (await gateway.get("/app/config.json")).json()
        csp = (await gateway.get("/app/")).headers["content-security-policy"]
    assert config["api"]["wages"] == "https://api.xining.example/wages"
    assert "connect-src 'self' https://api.xining.example;" in csp


async def test_the_page_and_its_files_come_from_this_origin_only(new_database, kafka):
    tokens = TokenFactory.generate()
    settings = await gateway_for(new_database, kafka, tokens, oidc_issuers="https://id.example.gov.cn/realms/newform")
    async with app_client(create_app(settings)) as gateway:
        r = await gateway.get("/app", follow_redirects=False)
        assert r.status_code == 308 and r.headers["location"] == "/app/"
        page = await gateway.get("/app/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "connect-src 'self' https://id.example.gov.cn;" in csp  # the token endpoint's origin, nothing else
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/") or a.startswith("#") for a in assets), assets
        for name in ("auth.js", "app.js", "app.css"):
            r = await gateway.get(f"/app/static/{name}")
            assert r.status_code == 200, name
            assert not re.search(r"https?://", r.text), name  # no CDN, no external font
        assert (await gateway.get("/app/static/index.html")).status_code == 404
        assert (await gateway.get("/app/static/..%2Fpassthrough.py")).status_code == 404
        assert (await gateway.get("/fonts/noto-sans-sc.css")).status_code == 200
        for section in ("我的合同", "工资与工时", "投诉与调解", "技能培训", "工会", "热线与通知"):
            assert section in page.text


async def test_the_pass_through_forwards_what_a_call_needs_and_nothing_else(new_database, kafka):
    tokens = TokenFactory.generate()
    async with LoopbackServer(echo_service(), free_port()) as service:
        settings = await gateway_for(new_database, kafka, tokens, service_urls={"training": service.url})
        async with app_client(create_app(settings)) as gateway:
            r = await gateway.patch(
                "/app/api/training/v1/claims/c1?status=submitted&status=paid",
                content='{"a": 1}',
                headers={
                    "Authorization": "Bearer abc",
                    "Idempotency-Key": "k-1",
                    "If-Match": '"v6"',
                    "Accept-Language": "zh-CN",
                    "Content-Type": "application/json",
                    "X-Request-ID": "req-app-1",
                    "Cookie": "newform_token=dashboard-session",
                    "X-Forwarded-For": "10.0.0.1",
                },
            )
    assert r.status_code == 201
    seen = r.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("PATCH", "claims/c1", '{"a": 1}')
    assert seen["query"] == "status=submitted&status=paid"
    forwarded = seen["headers"]
    assert forwarded["authorization"] == "Bearer abc" and forwarded["idempotency-key"] == "k-1"
    assert forwarded["if-match"] == '"v6"' and forwarded["accept-language"] == "zh-CN"
    assert forwarded["content-type"] == "application/json"
    assert forwarded["x-request-id"] == r.headers["x-request-id"] == "req-app-1"  # one id in both logs
    assert "cookie" not in forwarded and "x-forwarded-for" not in forwarded  # the dashboard's session stays here
    assert r.headers["etag"] == '"v7"' and r.headers["location"] == "/v1/things/1"
    assert "x-internal" not in r.headers and "set-cookie" not in r.headers
