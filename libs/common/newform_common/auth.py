"""Bearer tokens: Ed25519-signed JWTs carrying a role and a scope.

`newform token` signs with the private key; services hold only the public key. 401 for a missing,
invalid or expired token; 403 for a role or scope the route does not allow.
"""

from __future__ import annotations

import enum
import re
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

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
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


WORKER_SUBJECT = re.compile(r"^w_[a-z2-7]{26}$")

SCOPE_REQUIRED = {Role.platform: "platform_id", Role.enterprise: "platform_id", Role.department: "department"}


def mint_token(private_pem: str, *, role: Role | str, subject: str, platform_id: str | None = None,
               department: str | None = None, district: str | None = None,
               ttl: timedelta = timedelta(hours=12), now: datetime | None = None) -> str:
    role = Role(role)
    if role == Role.worker and not WORKER_SUBJECT.match(subject):
        raise ValueError("a worker token's subject is the pseudonymous worker id (w_…), never an ID number")
    needed = SCOPE_REQUIRED.get(role)
    if needed and not {"platform_id": platform_id, "department": department}[needed]:
        raise ValueError(f"a {role} token needs a {needed} scope")
    issued = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "role": role.value,
        "iat": int(issued.timestamp()), "exp": int((issued + ttl).timestamp()), "jti": str(uuid.uuid4()),
    }
    scope = {k: v for k, v in {"platform_id": platform_id, "department": department,
                                "district": district}.items() if v}
    if scope:
        claims["scope"] = scope
    return jwt.encode(claims, private_pem, algorithm=ALGORITHM)


class TokenVerifier:
    """Verifies bearer tokens. A platform sends the same token with every request, so a verified
    token is remembered (bounded, until its `exp`): the signature check and the PEM parsing are
    the costly part of a request's authentication."""

    def __init__(self, public_pem: str, *, remember: int = 4096):
        self.public_pem = public_pem
        self._key = serialization.load_pem_public_key(public_pem.encode())
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remember = remember

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

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,
                                issuer=ISSUER, options={"require": ["exp", "sub", "iat"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The token is invalid") from exc
        try:
            scope = claims.get("scope") or {}
            principal = Principal(subject=claims["sub"], role=Role(claims.get("role")), token_id=claims.get("jti"),
                                  platform_id=scope.get("platform_id"), department=scope.get("department"),
                                  district=scope.get("district"))
        except ValueError as exc:
            raise Unauthorized("The token carries an unknown role") from exc
        return principal, float(claims["exp"])


bearer_scheme = HTTPBearer(auto_error=False, description="A token minted by `newform token`")


async def principal_from_request(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("An 'Authorization: Bearer <token>' header is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = verifier.verify(credentials.credentials.strip())
    request.state.principal = principal
    return principal


def require(*roles: Role) -> Depends:
    """Dependency: the caller's principal, if its role is one of `roles` (any role when none given)."""
    allowed = set(roles)

    async def check(principal: Annotated[Principal, Depends(principal_from_request)]) -> Principal:
        if allowed and principal.role not in allowed:
            raise Forbidden(f"This operation is not open to the {principal.role} role")
        return principal

    return Depends(check)
