"""Scope claims old (an object) and new (a space-separated string) both verify. A verified token is
remembered (the signature check is a request's costliest part of auth), but never beyond its
expiry, and a token that fails verification is never remembered."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import jwt
import pytest

from newform_common.auth import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    OAUTH2_SCHEME,
    TokenVerifier,
    generate_keypair,
    key_id_of_private,
    mint_token,
    oauth2_security_scheme,
    parse_scope,
)
from newform_common.errors import Unauthorized
from newform_common.settings import ServiceSettings
from newform_common.testing import TokenFactory


def test_a_remembered_token_is_refused_once_it_expires():
    private, public = generate_keypair()
    verifier = TokenVerifier(public)
    token = mint_token(private, role="platform", subject="p1", platform_id="p1", ttl=timedelta(seconds=2))
    assert verifier.verify(token).platform_id == "p1"
    assert verifier.verify(token).platform_id == "p1"  # remembered
    time.sleep(2.1)  # past its exp (whole seconds)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)


def test_a_token_signed_by_another_key_is_refused_every_time():
    private, public = generate_keypair()
    other_private, _ = generate_keypair()
    verifier = TokenVerifier(public)
    forged = mint_token(other_private, role="admin", subject="x")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
    assert verifier.verify(mint_token(private, role="admin", subject="x")).subject == "x"


def _signed(private: str, **claims) -> str:
    now = int(time.time())
    return jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, "jti": str(uuid.uuid4()), **claims},
        private,
        algorithm=ALGORITHM,
        headers={"kid": key_id_of_private(private)},
    )


def test_a_token_scope_is_a_space_separated_string_and_the_role_its_own_claim():
    private, public = generate_keypair()
    token = mint_token(private, role="department", subject="gov", department="county", district="chengxi")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["scope"] == "department:county district:chengxi" and claims["role"] == "department"
    principal = TokenVerifier(public).verify(token)
    assert (principal.role, principal.department, principal.district) == ("department", "county", "chengxi")
    factory = TokenFactory.generate()
    assert (
        jwt.decode(factory.token("platform", platform_id="demo"), options={"verify_signature": False})["scope"]
        == "platform:demo"
    )
    assert "scope" not in jwt.decode(
        mint_token(private, role="regulator", subject="r"), options={"verify_signature": False}
    )
    with pytest.raises(ValueError):
        mint_token(private, role="platform", subject="p", platform_id="two words")


def test_tokens_issued_with_an_object_scope_keep_working_until_they_expire():
    """Tokens minted before the string form carry `{"platform_id": …}`: both forms verify alike."""
    private, public = generate_keypair()
    verifier = TokenVerifier(public)
    old = _signed(private, sub="p1", role="platform", scope={"platform_id": "demo"})
    new = _signed(private, sub="p1", role="platform", scope="platform:demo")
    assert verifier.verify(old).platform_id == verifier.verify(new).platform_id == "demo"
    old_district = _signed(private, sub="g", role="department", scope={"department": "county", "district": "chengxi"})
    assert (verifier.verify(old_district).department, verifier.verify(old_district).district) == ("county", "chengxi")
    # another issuer's scope tokens grant nothing here and do not break the token
    foreign = _signed(private, sub="p2", role="platform", scope="openid platform:meituan profile")
    assert verifier.verify(foreign).platform_id == "meituan"


@pytest.mark.parametrize("scope", [["platform:demo"], 42, {"platform_id": 7}, "platform:a platform:b"])
def test_an_unreadable_scope_is_401(scope):
    private, public = generate_keypair()
    with pytest.raises(Unauthorized, match="scope"):
        TokenVerifier(public).verify(_signed(private, sub="p", role="platform", scope=scope))


def test_parse_scope_reads_both_forms():
    assert parse_scope("department:county district:chengxi") == {"department": "county", "district": "chengxi"}
    assert parse_scope({"department": "hrss"}) == {"department": "hrss"}
    assert parse_scope(None) == parse_scope("") == {}


def test_every_document_declares_the_client_credentials_flow(monkeypatch):
    monkeypatch.delenv("TOKEN_URL", raising=False)
    schema = {
        "paths": {"/v1/x": {"get": {"security": [{"HTTPBearer": []}]}}, "/healthz": {"get": {}}},
        "components": {"securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}}},
    }
    settings = ServiceSettings(service_name="wages", dev_mode=True)
    oauth2_security_scheme(schema, settings)
    flow = schema["components"]["securitySchemes"][OAUTH2_SCHEME]["flows"]["clientCredentials"]
    assert flow == {"tokenUrl": "http://127.0.0.1:8000/oauth/token", "scopes": {}}
    assert schema["paths"]["/v1/x"]["get"]["security"] == [{"HTTPBearer": []}, {OAUTH2_SCHEME: []}]
    assert "security" not in schema["paths"]["/healthz"]["get"]
    monkeypatch.setenv("TOKEN_URL", "https://api.example.gov.cn/oauth/token")
    oauth2_security_scheme(schema, settings)
    assert (
        schema["components"]["securitySchemes"][OAUTH2_SCHEME]["flows"]["clientCredentials"]["tokenUrl"]
        == "https://api.example.gov.cn/oauth/token"
    )
    assert schema["paths"]["/v1/x"]["get"]["security"] == [{"HTTPBearer": []}, {OAUTH2_SCHEME: []}]  # once
