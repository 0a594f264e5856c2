"""Tokens from an OpenID Connect issuer (issue 21): a service trusts the issuers `OIDC_ISSUERS` names,
finds their keys through discovery, follows a key rotation, and refuses tokens from an unknown
issuer, for another audience, expired or tampered with — over real HTTP, against an issuer served
on loopback the way an identity provider serves its discovery document and key set. (The real
identity provider, Keycloak, is exercised by tests/local/test_keycloak.py and the workers' app.)"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from newform_common.errors import Unauthorized
from newform_common.identity import make_resident_id, pseudonym_key, worker_pseudonym
from newform_common.oidc import principal_from_claims
from newform_common.settings import ServiceSettings
from newform_common.testing import app_client, unique_name
from newform_local.ports import free_port

from ..kit.loopback import LoopbackServer
from .sample_service import create_tables, make_app

PII_SECRET = "oidc-test-pii-secret-of-32-bytes-at-least"
PLATFORM = "meituan"
NOTES = f"/v1/platforms/{PLATFORM}/notes"


class Issuer:
    """An identity provider's public face: discovery, a key set it can rotate, tokens it signs."""

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/realms/newform"
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []
        self.signing = self.add_key()
        self.requests = 0
        app = FastAPI()

        @app.get("/realms/newform/.well-known/openid-configuration")
        async def discovery():
            self.requests += 1
            return {"issuer": self.url, "jwks_uri": self.url + "/protocol/openid-connect/certs"}

        @app.get("/realms/newform/protocol/openid-connect/certs")
        async def certs():
            return {"keys": [self.jwk(kid) for kid in self.published]}

        self.server = LoopbackServer(app, port)

    def add_key(self, *, publish: bool = True) -> str:
        kid = uuid.uuid4().hex[:12]
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.published.append(kid)
        return kid

    def jwk(self, kid: str) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, *, kid: str | None = None, lifetime: int = 300, **claims) -> str:
        now = int(time.time())
        body = {
            "iss": self.url,
            "aud": ["newform", "account"],
            "sub": str(uuid.uuid4()),
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
            **claims,
        }
        kid = kid or self.signing
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def platform_token(self, platform_id: str = PLATFORM, **claims) -> str:
        return self.token(
            realm_access={"roles": ["platform", "offline_access", "default-roles-newform"]},
            platform_id=platform_id,
            preferred_username=f"service-account-{platform_id}",
            **claims,
        )


@pytest.fixture
async def issuer():
    issuer = Issuer(free_port())
    async with issuer.server:
        yield issuer


@pytest.fixture
async def service(postgres, tokens, issuer):
    name = unique_name("oidc")
    postgres.create_database(name)
    url = postgres.url(name)
    engine = create_async_engine(url)
    await create_tables(engine)
    await engine.dispose()
    settings = ServiceSettings(
        service_name="sample",
        database_url=url,
        kafka_bootstrap_servers="127.0.0.1:1",
        jwt_public_key=tokens.public_pem,
        pii_secret=PII_SECRET,
        oidc_issuers=f"https://idp.example.gov.cn/realms/other, {issuer.url}",
        run_relay=False,
    )
    async with app_client(make_app(settings, with_consumer=False)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_platform_signed_in_at_the_identity_provider_acts_for_its_own_platform_only(service, issuer, tokens):
    created = await service.post(NOTES, headers=bearer(issuer.platform_token()), json={"worker_id": "w_1", "text": "x"})
    assert created.status_code == 201, created.text
    listed = await service.get(NOTES, headers=bearer(issuer.platform_token()))
    assert [n["text"] for n in listed.json()["items"]] == ["x"]
    other = await service.get(NOTES, headers=bearer(issuer.platform_token("didi")))
    assert other.status_code == 403
    # The local issuer's tokens keep working beside the identity provider's.
    assert (await service.get(NOTES, headers=tokens.headers("platform", platform_id=PLATFORM))).status_code == 200


@pytest.mark.parametrize(
    "case",
    ["unknown issuer", "wrong audience", "expired", "tampered", "symmetric alg", "no role of ours", "two roles"],
)
async def test_tokens_the_service_must_not_trust_are_401_problems(service, issuer, case):
    token = issuer.platform_token()
    if case == "unknown issuer":
        token = issuer.platform_token(iss="http://127.0.0.1:1/realms/newform")
    elif case == "wrong audience":
        token = issuer.platform_token(aud="account")
    elif case == "expired":
        token = issuer.token(lifetime=-120, realm_access={"roles": ["platform"]}, platform_id=PLATFORM)
    elif case == "tampered":
        head, body, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["platform_id"] = "didi"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        token = f"{head}.{forged}.{signature}"
    elif case == "symmetric alg":  # the public key's bytes used as an HMAC secret: the classic forgery
        token = jwt.encode(
            {"iss": issuer.url, "aud": "newform", "exp": int(time.time()) + 60, "iat": int(time.time())},
            "secret",
            algorithm="HS256",
            headers={"kid": issuer.signing},
        )
    elif case == "no role of ours":
        token = issuer.token(realm_access={"roles": ["offline_access"]}, platform_id=PLATFORM)
    elif case == "two roles":
        token = issuer.token(realm_access={"roles": ["platform", "regulator"]}, platform_id=PLATFORM)
    response = await service.get(NOTES, headers=bearer(token))
    assert response.status_code == 401, (case, response.text)
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_service_follows_a_key_rotation_and_keeps_serving_while_the_provider_is_down(service, issuer):
    before = issuer.platform_token()
    assert (await service.get(NOTES, headers=bearer(before))).status_code == 200
    fetched = issuer.requests
    # The provider rotates: a new signing key, the old one still published for tokens in flight. Right
    # after a fetch the service asks the caller to retry (it fetches at most once per floor), then the
    # retry after Retry-After seconds gets through with one more fetch.
    issuer.signing = issuer.add_key()
    after = issuer.platform_token()
    first = await service.get(NOTES, headers=bearer(after))
    if first.status_code == 503:
        await asyncio.sleep(float(first.headers["retry-after"]))
        first = await service.get(NOTES, headers=bearer(after))
    assert first.status_code == 200
    assert issuer.requests == fetched + 1  # one fetch for the new key id
    assert (await service.get(NOTES, headers=bearer(issuer.platform_token(kid=issuer.published[0])))).status_code == 200
    # Forged key ids do not make the service ask again and again: a token older than the key set held
    # is settled by that set, and fetches are at least a floor apart.
    old_forged = issuer.platform_token(kid=issuer.add_key(publish=False), iat=int(time.time()) - 3600)
    assert (await service.get(NOTES, headers=bearer(old_forged))).status_code == 401
    for _ in range(3):
        forged = issuer.platform_token(kid=issuer.add_key(publish=False))
        assert (await service.get(NOTES, headers=bearer(forged))).status_code in (401, 503)
    assert issuer.requests == fetched + 1
    # The provider goes down: tokens signed with keys already known keep verifying.
    await issuer.server.__aexit__(None, None, None)
    assert (await service.get(NOTES, headers=bearer(issuer.platform_token()))).status_code == 200


async def test_an_unknown_key_while_the_provider_is_unreachable_is_503_not_401(service, issuer):
    token = issuer.platform_token()
    await issuer.server.__aexit__(None, None, None)
    response = await service.get(NOTES, headers=bearer(token))
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["type"].endswith("/identity-provider-unavailable")


def test_a_worker_is_the_pseudonym_of_the_verified_id_number_which_goes_no_further():
    id_number = make_resident_id()
    key = pseudonym_key(PII_SECRET)
    claims = {"realm_access": {"roles": ["worker"]}, "id_number": id_number, "sub": "kc-uuid", "jti": "j"}
    principal = principal_from_claims(claims, key)
    assert principal.role == "worker" and principal.subject == worker_pseudonym(id_number, PII_SECRET)
    assert id_number not in principal.model_dump_json()
    with pytest.raises(Unauthorized, match="ID number") as missing:
        principal_from_claims({"realm_access": {"roles": ["worker"]}, "sub": "kc-uuid"}, key)
    assert missing.value.status == 401
    broken = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    with pytest.raises(Unauthorized) as invalid:
        principal_from_claims({**claims, "id_number": broken}, key)
    assert broken not in str(invalid.value.detail)
    department = principal_from_claims(
        {"realm_access": {"roles": ["department"]}, "department": "county", "district": "chengxi", "sub": "x"}, key
    )
    assert (department.department, department.district) == ("county", "chengxi")
    with pytest.raises(Unauthorized, match="platform_id"):
        principal_from_claims({"realm_access": {"roles": ["platform"]}, "sub": "x"}, key)
