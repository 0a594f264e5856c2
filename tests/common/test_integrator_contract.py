"""What integrators rely on beyond the payloads: rate limits per caller with RateLimit-* headers and
429, token verification keys published as JWKS and rotated by key id, deprecation headers, and
services refusing to start without their real secrets outside development."""

from __future__ import annotations

from datetime import date

import jwt
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common.app import deprecation
from newform_common.auth import generate_keypair, mint_token
from newform_common.settings import MissingSecret, ServiceSettings
from newform_common.testing import TokenFactory, app_client, unique_name

from .sample_service import create_tables, make_app

PLATFORM = "meituan"
NOTES = f"/v1/platforms/{PLATFORM}/notes"


@pytest.fixture(scope="module")
async def database(postgres):
    name = unique_name("integrator")
    postgres.create_database(name)
    url = postgres.url(name)
    engine = create_async_engine(url)
    await create_tables(engine)
    await engine.dispose()
    return url


def sample_app(url: str, public_pem: str, **settings):
    return make_app(
        ServiceSettings(
            service_name="sample",
            database_url=url,
            kafka_bootstrap_servers="127.0.0.1:1",
            jwt_public_key=public_pem,
            run_relay=False,
            **settings,
        ),
        with_consumer=False,
    )


async def test_a_caller_past_its_burst_gets_429_with_retry_after_and_others_are_unaffected(database):
    tokens = TokenFactory.generate()
    # One token a minute refills: nothing refills during the test, however slow the machine.
    app = sample_app(database, tokens.public_pem, rate_limit_per_minute=1, rate_limit_burst=3)
    busy = tokens.headers("platform", subject="busy", platform_id=PLATFORM)
    async with app_client(app) as client:
        remaining = []
        for _ in range(3):
            ok = await client.get(NOTES, headers=busy)
            assert ok.status_code == 200
            assert ok.headers["RateLimit-Limit"] == "3"
            remaining.append(int(ok.headers["RateLimit-Remaining"]))
        assert remaining == [2, 1, 0]
        limited = await client.get(NOTES, headers=busy)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["type"].endswith("/rate-limited")
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["RateLimit-Remaining"] == "0" and int(limited.headers["RateLimit-Reset"]) > 0
        other = await client.get(NOTES, headers=tokens.headers("platform", subject="calm", platform_id=PLATFORM))
        assert other.status_code == 200 and other.headers["RateLimit-Remaining"] == "2"
        assert "RateLimit-Limit" not in (await client.get("/healthz")).headers  # no caller, no bucket


async def test_tokens_name_their_key_and_a_rotation_accepts_old_and_new_keys(database):
    old_private, old_public = generate_keypair()
    new_private, new_public = generate_keypair()
    unknown_private, _ = generate_keypair()
    app = sample_app(database, old_public + new_public)  # the rotation window: both keys verify
    async with app_client(app) as client:
        jwks = (await client.get("/.well-known/jwks.json")).json()
        kids = {k["kid"] for k in jwks["keys"]}
        assert len(kids) == 2 and all(k["kty"] == "OKP" and k["alg"] == "EdDSA" for k in jwks["keys"])
        for private in (old_private, new_private):
            token = mint_token(private, role="platform", subject="p", platform_id=PLATFORM)
            assert jwt.get_unverified_header(token)["kid"] in kids
            ok = await client.get(NOTES, headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200
        stranger = mint_token(unknown_private, role="platform", subject="p", platform_id=PLATFORM)
        refused = await client.get(NOTES, headers={"Authorization": f"Bearer {stranger}"})
        assert refused.status_code == 401 and "key" in refused.json()["detail"]
    # After the window the old key is removed: its tokens are refused.
    async with app_client(sample_app(database, new_public)) as client:
        old_token = mint_token(old_private, role="platform", subject="p", platform_id=PLATFORM)
        assert (await client.get(NOTES, headers={"Authorization": f"Bearer {old_token}"})).status_code == 401


async def test_a_deprecated_operation_says_so_in_headers_and_in_openapi(database):
    tokens = TokenFactory.generate()
    app = sample_app(database, tokens.public_pem)

    @app.get(
        "/v1/legacy-count",
        tags=["notes"],
        summary="Old count",
        **deprecation(date(2026, 12, 1), date(2027, 6, 1), successor="/v1/platforms/{platform_id}/notes"),
    )
    async def legacy_count() -> dict:
        return {"count": 0}

    async with app_client(app) as client:
        response = await client.get("/v1/legacy-count")
        assert response.status_code == 200
        assert response.headers["Deprecation"] == "@1796083200"  # 2026-12-01T00:00:00Z
        assert response.headers["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"
        assert 'rel="successor-version"' in response.headers["Link"]
        assert "Deprecation" not in (await client.get("/healthz")).headers
        op = (await client.get("/openapi.json")).json()["paths"]["/v1/legacy-count"]["get"]
        assert op["deprecated"] is True and op["x-sunset"] == "2027-06-01"
        assert set(op["responses"]["200"]["headers"]) >= {"Deprecation", "Sunset"}


def test_a_service_refuses_to_start_without_its_pii_secret_outside_development(monkeypatch):
    monkeypatch.delenv("PII_SECRET", raising=False)
    monkeypatch.delenv("PII_SECRET_FILE", raising=False)
    monkeypatch.delenv("NEWFORM_DEV", raising=False)
    with pytest.raises(MissingSecret, match="PII_SECRET"):
        ServiceSettings(service_name="sample")
    monkeypatch.setenv("PII_SECRET", "a-real-secret-from-the-operators-0123456789")
    assert ServiceSettings(service_name="sample").pii_secret.startswith("a-real-secret")
    monkeypatch.delenv("PII_SECRET")
    monkeypatch.setenv("NEWFORM_DEV", "1")
    assert ServiceSettings(service_name="sample").pii_secret  # development gets a development secret
