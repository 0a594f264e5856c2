"""A registered client (a platform's or department's system) exchanges its credentials for a bearer
token at the gateway (OAuth 2.0 client credentials), which every service accepts by key id."""

from __future__ import annotations

import base64
from pathlib import Path

import jwt
import pytest

from newform_common.auth import OAUTH2_SCHEME, TokenVerifier
from newform_common.testing import TokenFactory, app_client, unique_name
from newform_gateway.main import create_app
from newform_gateway.tokens import add_client

from ..kit.gateway import gateway_settings, migrated_database, prepare_topics


async def test_a_registered_client_gets_a_token_that_the_api_accepts(new_database, kafka, tmp_path):
    tokens = TokenFactory.generate()
    clients = tmp_path / "clients.toml"
    hrss_secret = add_client(clients, client_id="hrss-case-system", role="department", department="hrss")
    platform_secret = add_client(clients, client_id="demo-backend", role="platform", platform_id="demo")
    assert hrss_secret not in clients.read_text()  # only its hash is kept
    prefix = unique_name("gtok").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    url = await migrated_database(new_database)
    settings = gateway_settings(
        prefix,
        url,
        kafka.bootstrap_servers,
        tokens.public_pem,
        token_signing_key=tokens.private_pem,
        clients_file=clients,
        token_ttl_s=600,
        run_deliverer=False,
    )
    async with app_client(create_app(settings)) as gw:
        issued = await gw.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "hrss-case-system", "client_secret": hrss_secret},
        )
        assert issued.status_code == 200, issued.text
        assert issued.headers["Cache-Control"] == "no-store"
        body = issued.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 600
        assert body["scope"] == "department:hrss"  # RFC 6749 §5.1: a space-separated string
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["role"] == "department" and claims["scope"] == "department:hrss"
        kid = jwt.get_unverified_header(body["access_token"])["kid"]
        assert kid in {k["kid"] for k in (await gw.get("/.well-known/jwks.json")).json()["keys"]}
        alerts = await gw.get("/v1/alerts", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert alerts.status_code == 200

        basic = base64.b64encode(f"demo-backend:{platform_secret}".encode()).decode()
        platform = await gw.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
        )
        assert platform.status_code == 200
        platform_token = platform.json()["access_token"]
        assert jwt.decode(platform_token, options={"verify_signature": False})["scope"] == "platform:demo"

        assert platform.json()["scope"] == "platform:demo"


async def test_a_gateway_without_a_signing_key_issues_nothing(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("gtok").replace("_", "")
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem, run_deliverer=False)
    async with app_client(create_app(settings)) as gw:
        refused = await gw.post(
            "/oauth/token", data={"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}
        )
        assert refused.status_code == 503 and refused.json()["type"].endswith("/token-issuance-not-configured")


async def _token_gateway(new_database, kafka, tokens: TokenFactory, clients: Path):
    prefix = unique_name("gtok").replace("_", "")
    url = await migrated_database(new_database)
    settings = gateway_settings(
        prefix,
        url,
        kafka.bootstrap_servers,
        tokens.public_pem,
        token_signing_key=tokens.private_pem,
        clients_file=clients,
        token_ttl_s=600,
        run_deliverer=False,
    )
    return app_client(create_app(settings))


def _assert_oauth_error(response, status: int, error: str) -> None:
    """RFC 6749 §5.2: plain JSON with `error` (and a description), never cached."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error and body["error_description"], body
    assert set(body) <= {"error", "error_description", "error_uri"}


async def test_token_errors_are_rfc6749_json(new_database, kafka, tmp_path):
    tokens = TokenFactory.generate()
    clients = tmp_path / "clients.toml"
    secret = add_client(clients, client_id="hrss-case-system", role="department", department="hrss")
    async with await _token_gateway(new_database, kafka, tokens, clients) as gw:
        ok = {"client_id": "hrss-case-system", "client_secret": secret}
        _assert_oauth_error(await gw.post("/oauth/token", data=ok), 400, "invalid_request")  # no grant_type
        _assert_oauth_error(await gw.post("/oauth/token", data={**ok, "grant_type": ""}), 400, "invalid_request")
        _assert_oauth_error(
            await gw.post("/oauth/token", json={**ok, "grant_type": "client_credentials"}), 400, "invalid_request"
        )  # not form-encoded
        repeated = (
            f"grant_type=client_credentials&grant_type=client_credentials&client_id=hrss-case-system"
            f"&client_secret={secret}"
        )
        _assert_oauth_error(
            await gw.post(
                "/oauth/token", content=repeated, headers={"content-type": "application/x-www-form-urlencoded"}
            ),
            400,
            "invalid_request",
        )
        _assert_oauth_error(
            await gw.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "hrss-case-system"}),
            400,
            "invalid_request",
        )  # no secret
        wrong = await gw.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "hrss-case-system", "client_secret": "guess"},
        )
        _assert_oauth_error(wrong, 401, "invalid_client")
        assert wrong.headers["www-authenticate"].startswith("Basic")
        unknown = base64.b64encode(b"nobody:x").decode()
        _assert_oauth_error(
            await gw.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {unknown}"}
            ),
            401,
            "invalid_client",
        )
        _assert_oauth_error(
            await gw.post("/oauth/token", data={**ok, "grant_type": "password"}), 400, "unsupported_grant_type"
        )
        _assert_oauth_error(
            await gw.post(
                "/oauth/token", data={**ok, "grant_type": "client_credentials", "scope": "department:medins"}
            ),
            400,
            "invalid_scope",
        )
        _assert_oauth_error(
            await gw.post("/oauth/token", data={**ok, "grant_type": "client_credentials", "scope": "platform:demo"}),
            400,
            "invalid_scope",
        )
        basic = base64.b64encode(f"hrss-case-system:{secret}".encode()).decode()
        _assert_oauth_error(
            await gw.post(
                "/oauth/token",
                data={**ok, "grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            ),
            400,
            "invalid_request",
        )  # two authentication methods
        granted = await gw.post(
            "/oauth/token", data={**ok, "grant_type": "client_credentials", "scope": "department:hrss"}
        )
        assert granted.status_code == 200 and granted.json()["scope"] == "department:hrss"
        assert granted.headers["cache-control"] == "no-store"

        # Swagger UI on another service (another origin) fetches its token here from the browser
        origin = "http://127.0.0.1:8003"
        preflight = await gw.options(
            "/oauth/token",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,x-requested-with",
            },
        )
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert {"authorization", "content-type", "x-requested-with"} <= {
            h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")
        }
        from_docs = await gw.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Origin": origin, "Authorization": f"Basic {basic}"},
        )
        assert from_docs.status_code == 200 and from_docs.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in from_docs.headers


async def test_a_district_client_may_ask_for_a_subset_of_its_scope(new_database, kafka, tmp_path):
    tokens = TokenFactory.generate()
    clients = tmp_path / "clients.toml"
    secret = add_client(clients, client_id="chengxi-gov", role="department", department="county", district="chengxi")
    worker_secret = add_client(clients, client_id="a-worker", role="worker")
    async with await _token_gateway(new_database, kafka, tokens, clients) as gw:
        full = await gw.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "chengxi-gov", "client_secret": secret},
        )
        assert full.status_code == 200 and full.json()["scope"] == "department:county district:chengxi"
        claims = jwt.decode(full.json()["access_token"], options={"verify_signature": False})
        assert claims["scope"] == "department:county district:chengxi" and claims["role"] == "department"
        principal = TokenVerifier(tokens.public_pem).verify(full.json()["access_token"])
        assert (principal.department, principal.district) == ("county", "chengxi")
        # the department scope is what a department token needs: asking only for the district is refused
        _assert_oauth_error(
            await gw.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "chengxi-gov",
                    "client_secret": secret,
                    "scope": "district:chengxi",
                },
            ),
            400,
            "invalid_scope",
        )
        _assert_oauth_error(
            await gw.post(
                "/oauth/token",
                data={"grant_type": "client_credentials", "client_id": "a-worker", "client_secret": worker_secret},
            ),
            400,
            "unauthorized_client",
        )


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, "/oauth/token"),
        ({"TOKEN_URL": "https://api.example.gov.cn/oauth/token"}, "https://api.example.gov.cn/oauth/token"),
    ],
)
async def test_the_gateways_openapi_declares_the_client_credentials_flow(
    new_database, kafka, tmp_path, monkeypatch, environ, expected
):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    tokens = TokenFactory.generate()
    async with await _token_gateway(new_database, kafka, tokens, tmp_path / "clients.toml") as gw:
        spec = (await gw.get("/openapi.json")).json()
        docs = (await gw.get("/docs")).text  # Swagger UI: its Authorize dialog returns through the redirect page
        assert "oauth2RedirectUrl" in docs and (await gw.get("/docs/oauth2-redirect")).status_code == 200
    schemes = spec["components"]["securitySchemes"]
    assert schemes[OAUTH2_SCHEME]["type"] == "oauth2"
    assert schemes[OAUTH2_SCHEME]["flows"]["clientCredentials"]["tokenUrl"] == expected
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    alerts = spec["paths"]["/v1/alerts"]["get"]["security"]
    assert {"HTTPBearer": []} in alerts and {OAUTH2_SCHEME: []} in alerts  # either one
    token_op = spec["paths"]["/oauth/token"]["post"]
    assert "security" not in token_op and "422" not in token_op["responses"]
    assert "application/x-www-form-urlencoded" in token_op["requestBody"]["content"]
    for code in ("400", "401"):
        assert list(token_op["responses"][code]["content"]) == ["application/json"]
    assert spec["components"]["schemas"]["OAuthErrorResponse"]["required"] == ["error"]
