"""A registered client (a platform's or department's system) exchanges its credentials for a bearer
token at the gateway (OAuth 2.0 client credentials), which every service accepts by key id."""

from __future__ import annotations

import base64

import jwt

from newform_common.testing import TokenFactory, app_client, unique_name
from newform_gateway.main import create_app
from newform_gateway.tokens import add_client

from .support import gateway_settings, migrated_database, prepare_topics


async def test_a_registered_client_gets_a_token_that_the_api_accepts(new_database, kafka, tmp_path):
    tokens = TokenFactory.generate()
    clients = tmp_path / "clients.toml"
    hrss_secret = add_client(clients, client_id="hrss-case-system", role="department", department="hrss")
    platform_secret = add_client(clients, client_id="demo-backend", role="platform", platform_id="demo")
    assert hrss_secret not in clients.read_text()  # only its hash is kept
    prefix = unique_name("gtok").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem,
                                token_signing_key=tokens.private_pem, clients_file=clients, token_ttl_s=600,
                                run_deliverer=False)
    async with app_client(create_app(settings)) as gw:
        issued = await gw.post("/oauth/token", data={"grant_type": "client_credentials",
                                                     "client_id": "hrss-case-system", "client_secret": hrss_secret})
        assert issued.status_code == 200, issued.text
        assert issued.headers["Cache-Control"] == "no-store"
        body = issued.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 600
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["role"] == "department" and claims["scope"] == "department:hrss"
        kid = jwt.get_unverified_header(body["access_token"])["kid"]
        assert kid in {k["kid"] for k in (await gw.get("/.well-known/jwks.json")).json()["keys"]}
        alerts = await gw.get("/v1/alerts", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert alerts.status_code == 200

        basic = base64.b64encode(f"demo-backend:{platform_secret}".encode()).decode()
        platform = await gw.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 headers={"Authorization": f"Basic {basic}"})
        assert platform.status_code == 200
        platform_token = platform.json()["access_token"]
        assert jwt.decode(platform_token, options={"verify_signature": False})["scope"] == "platform:demo"

        wrong = await gw.post("/oauth/token", data={"grant_type": "client_credentials",
                                                    "client_id": "hrss-case-system", "client_secret": "guess"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        assert wrong.headers["content-type"] == "application/problem+json"
        grant = await gw.post("/oauth/token", data={"grant_type": "password", "client_id": "x", "client_secret": "y"})
        assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


async def test_a_gateway_without_a_signing_key_issues_nothing(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("gtok").replace("_", "")
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem, run_deliverer=False)
    async with app_client(create_app(settings)) as gw:
        refused = await gw.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "a",
                                                      "client_secret": "b"})
        assert refused.status_code == 503 and refused.json()["type"].endswith("/token-issuance-not-configured")
