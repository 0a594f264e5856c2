"""Bearer tokens: Ed25519-signed JWTs carrying a role and a scope.

The `scope` claim is a space-separated string (RFC 8693 §4.2, RFC 9068 §2.2.3), one
`<kind>:<value>` token per restriction: `platform:demo`, `department:county district:chengxi`.
The role is its own `role` claim. Tokens minted before this form carry an object
(`{"platform_id": "demo"}`); the verifier reads both until the last of them has expired.

`newform token` (development) and the gateway's `POST /oauth/token` (client credentials) sign with
a private key; services hold only public keys. 401 for a missing, invalid or expired token; 403 for
a role or scope the route does not allow.

Key rotation: a token names its key in the `kid` header (the RFC 7638 thumbprint of the public
key). `JWT_PUBLIC_KEY(_FILE)` may hold several PEM public keys, every one of which verifies; each
service publishes them at `/.well-known/jwks.json`. To rotate: add the new public key beside the
old one everywhere, switch the issuer to the new private key, and remove the old public key once
the last token it signed has expired (the longest token lifetime later).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
import re
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from .errors import Forbidden, Unauthorized

ISSUER = "newform"
AUDIENCE = "newform"
ALGORITHM = "EdDSA"


class Role(enum.StrEnum):
    platform = "platform"
    enterprise = "enterprise"
    worker_channel = "worker_channel"
    mediator = "mediator"
    training_body = "training_body"
    #: A worker acting for themselves; the token's subject is their pseudonymous id (`w_…`), issued
    #: by an identity provider after real-name verification (DESIGN.md "Workers are users too").
    worker = "worker"
    department = "department"
    regulator = "regulator"
    admin = "admin"


class Principal(BaseModel):
    subject: str
    role: Role
    platform_id: str | None = None
    department: str | None = None
    district: str | None = None
    token_id: str | None = None

    @property
    def key(self) -> str:
        """Stable identity for per-caller records (idempotency keys, audit)."""
        return f"{self.role}:{self.subject}"

    def is_oversight(self) -> bool:
        return self.role in (Role.regulator, Role.admin)

    @property
    def worker_id(self) -> str | None:
        """The pseudonymous worker id a worker token acts as (None for every other role)."""
        return self.subject if self.role == Role.worker else None


def generate_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) for a new Ed25519 signing key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


WORKER_SUBJECT = re.compile(r"^w_[a-z2-7]{26}$")

SCOPE_REQUIRED = {Role.platform: "platform_id", Role.enterprise: "platform_id", Role.department: "department"}


#: Scope-token prefix → Principal field: `platform:demo` is `platform_id="demo"`.
SCOPE_KINDS = {"platform": "platform_id", "department": "department", "district": "district"}


def scope_string(*, platform_id: str | None = None, department: str | None = None, district: str | None = None) -> str:
    """The `scope` claim (and OAuth `scope` parameter) for these restrictions: `platform:demo`,
    `department:county district:chengxi`; "" when there are none."""
    values = {"platform_id": platform_id, "department": department, "district": district}
    parts = []
    for kind, field in SCOPE_KINDS.items():
        value = values[field]
        if value:
            if any(c.isspace() for c in value) or '"' in value or "\\" in value:
                raise ValueError(f"a {field} cannot hold spaces, quotes or backslashes (it becomes a scope token)")
            parts.append(f"{kind}:{value}")
    return " ".join(parts)


def parse_scope(scope: object) -> dict[str, str]:
    """Principal fields from a `scope` claim: the space-separated string, or the object of tokens
    minted before it (`{"platform_id": …}`). Scope tokens of other kinds (another issuer's
    `openid`, say) grant nothing here and are ignored. Raises ValueError for any other shape."""
    if scope is None or scope == "":
        return {}
    if isinstance(scope, str):
        fields: dict[str, str] = {}
        for token in scope.split():
            kind, sep, value = token.partition(":")
            if sep and value and kind in SCOPE_KINDS:
                if SCOPE_KINDS[kind] in fields:  # two platforms in one token: which one would it act for?
                    raise ValueError(f"the scope names {kind} twice")
                fields[SCOPE_KINDS[kind]] = value
        return fields
    if isinstance(scope, dict):
        given: dict[str, object] = {k: scope.get(k) for k in ("platform_id", "department", "district")}
        if not all(v is None or isinstance(v, str) for v in given.values()):
            raise ValueError("the scope object holds a non-string value")
        return {k: v for k, v in given.items() if isinstance(v, str) and v}
    raise ValueError("the scope claim is neither a string nor an object")


def mint_token(
    private_pem: str,
    *,
    role: Role | str,
    subject: str,
    platform_id: str | None = None,
    department: str | None = None,
    district: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    role = Role(role)
    if role == Role.worker and not WORKER_SUBJECT.match(subject):
        raise ValueError("a worker token's subject is the pseudonymous worker id (w_…), never an ID number")
    needed = SCOPE_REQUIRED.get(role)
    if needed and not {"platform_id": platform_id, "department": department}[needed]:
        raise ValueError(f"a {role} token needs a {needed} scope")
    issued = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "role": role.value,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    scope = scope_string(platform_id=platform_id, department=department, district=district)
    if scope:
        claims["scope"] = scope
    return jwt.encode(claims, private_pem, algorithm=ALGORITHM, headers={"kid": key_id_of_private(private_pem)})


_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    """The key as a JWK (RFC 8037 OKP), with its RFC 7638 thumbprint as `kid`."""
    x = _b64url(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    required = {"crv": "Ed25519", "kty": "OKP", "x": x}
    kid = _b64url(hashlib.sha256(json.dumps(required, separators=(",", ":"), sort_keys=True).encode()).digest())
    return {**required, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def key_id_of_private(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("token signing keys are Ed25519")
    return public_jwk(key.public_key())["kid"]


def load_public_keys(pems: str) -> dict[str, Ed25519PublicKey]:
    """Every PEM public key in `pems` (one or several, concatenated), by key id."""
    keys: dict[str, Ed25519PublicKey] = {}
    for block in _PEM_BLOCK.findall(pems):
        key = serialization.load_pem_public_key(block.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("token verification keys are Ed25519")
        keys[public_jwk(key)["kid"]] = key
    if not keys:
        raise ValueError("no PEM public key found in the token verification key setting")
    return keys


class TokenVerifier:
    """Verifies tokens signed by any of the configured keys (several during a rotation). A platform
    sends the same token with every request, so a verified token is remembered (bounded, until its
    `exp`): the signature check is the costly part of a request's authentication."""

    def __init__(self, public_pem: str, *, remember: int = 4096):
        self.public_pem = public_pem
        self.keys = load_public_keys(public_pem)
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remember = remember

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [public_jwk(k) for k in self.keys.values()]}

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, expires_at = known
            if time.time() < expires_at:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires_at = self._verify_signed(token)
        self._verified[token] = (principal, expires_at)
        if len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return principal

    def _candidates(self, token: str) -> list[Ed25519PublicKey]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthorized("The token is invalid") from exc
        if kid is None:  # tokens minted before key ids: any configured key may have signed them
            return list(self.keys.values())
        if kid not in self.keys:
            raise Unauthorized("The token was signed by a key this service does not accept (rotated out?)")
        return [self.keys[kid]]

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        claims = None
        for key in self._candidates(token):
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    audience=AUDIENCE,
                    issuer=ISSUER,
                    options={"require": ["exp", "sub", "iat"]},
                )
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError as exc:
                raise Unauthorized("The token has expired") from exc
            except jwt.PyJWTError as exc:
                raise Unauthorized("The token is invalid") from exc
        if claims is None:
            raise Unauthorized("The token is invalid")
        try:
            scope = parse_scope(claims.get("scope"))
        except ValueError as exc:
            raise Unauthorized("The token's scope is unreadable") from exc
        try:
            principal = Principal(
                subject=claims["sub"], role=Role(claims.get("role", "")), token_id=claims.get("jti"), **scope
            )
        except ValueError as exc:
            raise Unauthorized("The token carries an unknown role") from exc
        return principal, float(claims["exp"])


bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An access token from the city's identity provider (OpenID Connect), the gateway's "
    "`POST /oauth/token` (client credentials) or, in development, `newform token`",
)


async def principal_from_request(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("An 'Authorization: Bearer <token>' header is required")
    # The local issuer and the OpenID Connect issuers alike (`oidc.Authenticator`).
    principal: Principal = await request.app.state.authenticator.verify(credentials.credentials.strip())
    request.state.principal = principal
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.check(principal.key, request.scope.setdefault("state", {}))
    return principal


#: The department code the seven district and county governments share; their tokens name the district.
DISTRICT_GOVERNMENT = "county"


def unusable_scope(principal: Principal) -> str | None:
    """Why a token cannot act at all, or None: a district government's token without its district would
    see (and act for) every district's data, so every service refuses it (403)."""
    if principal.role == Role.department and principal.department == DISTRICT_GOVERNMENT and not principal.district:
        return (
            "A district government's token names its district (department=county with a district); "
            "without it, no district-scoped view is open"
        )
    return None


def require(*roles: Role) -> Any:
    """Dependency: the caller's principal, if its role is one of `roles` (any role when none given) and
    its scope is usable (`unusable_scope`). `Any`, as FastAPI's `Depends`: it stands as a parameter's
    default (`principal: Principal = require(...)`)."""
    allowed = set(roles)

    async def check(principal: Annotated[Principal, Depends(principal_from_request)]) -> Principal:
        if allowed and principal.role not in allowed:
            raise Forbidden(f"This operation is not open to the {principal.role} role")
        reason = unusable_scope(principal)
        if reason:
            raise Forbidden(reason)
        return principal

    return Depends(check)


# --- OAuth 2.0 in the API documents ----------------------------------------------------------------

#: Where the gateway issues tokens (client credentials, RFC 6749 §4.4).
TOKEN_PATH = "/oauth/token"
#: `make run`'s gateway: the development default of `TOKEN_URL`.
DEFAULT_TOKEN_URL = "http://127.0.0.1:8000/oauth/token"
OAUTH2_SCHEME = "OAuth2ClientCredentials"
BEARER_SCHEME = "HTTPBearer"


class OAuthErrorResponse(BaseModel):
    """An RFC 6749 §5.2 error: what OAuth client libraries read from a token endpoint."""

    error: str = Field(
        description="invalid_request, invalid_client, invalid_grant, unauthorized_client, "
        "unsupported_grant_type or invalid_scope"
    )
    error_description: str | None = Field(None, description="Human-readable detail (English)")
    error_uri: str | None = Field(None, description="A page that explains the error")


def token_url(settings: object) -> str:
    """The token endpoint every document names: `TOKEN_URL` (absolute in a deployment, e.g.
    `https://api.example.gov.cn/oauth/token`), else `make run`'s gateway; the gateway itself names its
    own endpoint relatively (resolved against its server URL)."""
    configured = getattr(settings, "token_url", None) or os.environ.get("TOKEN_URL")
    if configured:
        return configured
    return TOKEN_PATH if getattr(settings, "domain", None) == "gateway" else DEFAULT_TOKEN_URL


def oauth2_security_scheme(schema: dict[str, Any], settings: object) -> dict[str, Any]:
    """Declare OAuth 2.0 client credentials beside the bearer scheme: a `clientCredentials` flow
    at the gateway's token endpoint, accepted by every operation that takes a bearer token (either
    scheme), so Swagger UI's Authorize dialog and generated SDKs can fetch a token themselves. On
    the document that holds the token endpoint, its errors are RFC 6749 §5.2 JSON, not problem+json."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[OAUTH2_SCHEME] = {
        "type": "oauth2",
        "description": "A registered client's credentials (`client_id`, `client_secret`) exchanged at the "
        "gateway for a bearer token. The token carries the client's registered role and "
        "scope (`platform:<id>`, `department:<code>`, `district:<code>`); request none to get "
        "all of them.",
        "flows": {"clientCredentials": {"tokenUrl": token_url(settings), "scopes": {}}},
    }
    for item in schema.get("paths", {}).values():
        for op in item.values():
            security = op.get("security")
            if security and {BEARER_SCHEME: []} in security and {OAUTH2_SCHEME: []} not in security:
                security.append({OAUTH2_SCHEME: []})  # alternatives: either scheme authorises
    token_op = schema.get("paths", {}).get(TOKEN_PATH, {}).get("post")
    if token_op is not None:
        components.setdefault("schemas", {})["OAuthErrorResponse"] = OAuthErrorResponse.model_json_schema()
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthErrorResponse"}}}
        for code, response in token_op.get("responses", {}).items():
            if code in ("400", "401"):
                response["content"] = error
        token_op.get("responses", {}).pop("422", None)  # malformed requests are 400 invalid_request
    return schema
