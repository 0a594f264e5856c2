"""Token issuance for machines: OAuth 2.0 client credentials (RFC 6749 §4.4) at `POST /oauth/token`.

Platform backends and departments' systems are *registered clients*: an operator adds one with
`newform gateway client add --role platform --platform-id meituan` (the secret is printed once; the
file keeps only its SHA-256) to the file named by `GATEWAY_CLIENTS_FILE`. The client exchanges
`client_id` + `client_secret` (HTTP Basic or form fields) for a bearer token signed with
`TOKEN_SIGNING_KEY(_FILE)` (Ed25519, the key whose public half every service has in
`JWT_PUBLIC_KEY`), valid `TOKEN_TTL_S` seconds, carrying the client's role and scope. Errors are
problem+json that also carry RFC 6749's `error` member, so OAuth libraries understand them.

Why here and not an external identity provider: the government network this runs on is often
offline and has none that issues our role and scope claims; a deployment that has one points
`JWT_PUBLIC_KEY` at its keys instead and need not configure this endpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, Field

from newform_common.auth import Role, mint_token
from newform_common.errors import PROBLEM_MEDIA_TYPE, Problem

token_router = APIRouter(tags=["tokens"])


@dataclass(frozen=True)
class Client:
    client_id: str
    secret_sha256: str
    role: Role
    platform_id: str | None = None
    department: str | None = None
    district: str | None = None

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(secret.encode()).hexdigest(), self.secret_sha256)


def load_clients(path: Path | None) -> dict[str, Client]:
    if path is None or not path.exists():
        return {}
    entries = tomllib.loads(path.read_text()).get("clients", [])
    return {e["client_id"]: Client(client_id=e["client_id"], secret_sha256=e["secret_sha256"], role=Role(e["role"]),
                                   platform_id=e.get("platform_id"), department=e.get("department"),
                                   district=e.get("district")) for e in entries}


def add_client(path: Path, *, client_id: str, role: str, platform_id: str | None = None,
               department: str | None = None, district: str | None = None) -> str:
    """Register a client in the clients file; returns its secret (shown once, stored hashed)."""
    Role(role)
    if client_id in load_clients(path):
        raise ValueError(f"client {client_id!r} is already registered in {path}")
    secret = secrets.token_urlsafe(32)
    lines = ["", "[[clients]]", f'client_id = "{client_id}"',
             f'secret_sha256 = "{hashlib.sha256(secret.encode()).hexdigest()}"', f'role = "{role}"']
    lines += [f'{k} = "{v}"' for k, v in
              (("platform_id", platform_id), ("department", department), ("district", district)) if v]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    return secret


class OAuthError(Problem):
    """An RFC 6749 §5.2 error, as problem+json with the `error` code beside."""

    def __init__(self, error: str, detail: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(detail, status=status, title="Token request refused", slug=f"oauth-{error}".replace("_", "-"),
                         headers=headers, error=error)


class TokenResponse(BaseModel):
    access_token: str = Field(description="A bearer token for every newform service")
    token_type: str = Field("Bearer", description="Always `Bearer`")
    expires_in: int = Field(description="Seconds until the token expires: request a new one before")


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "Unreadable Basic credentials", status=401) from exc
    return client_id, secret


@token_router.post(
    "/oauth/token", response_model=TokenResponse, summary="Client credentials → bearer token (RFC 6749 §4.4)",
    responses={400: {"description": "Unsupported grant type or missing fields",
                     "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}},
               401: {"description": "Unknown client or wrong secret",
                     "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}},
               503: {"description": "Token issuance is not configured on this gateway",
                     "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}}},
)
async def issue_token(
    request: Request,
    response: Response,
    grant_type: Annotated[str, Form(description="`client_credentials`")],
    client_id: Annotated[str | None, Form(max_length=200)] = None,
    client_secret: Annotated[str | None, Form(max_length=500)] = None,
) -> TokenResponse:
    settings = request.app.state.settings
    private_pem = settings.token_signing_private_pem()
    if private_pem is None:
        raise Problem("This gateway issues no tokens: set TOKEN_SIGNING_KEY_FILE and GATEWAY_CLIENTS_FILE",
                      status=503, title="Token issuance not configured", slug="token-issuance-not-configured")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only grant_type=client_credentials is supported")
    basic = _basic_credentials(request)
    if basic:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise OAuthError("invalid_request", "client_id and client_secret are required (form fields or Basic)")
    client = load_clients(settings.clients_file).get(client_id)
    if client is None or not client.secret_matches(client_secret):
        raise OAuthError("invalid_client", "Unknown client or wrong secret", status=401,
                         headers={"WWW-Authenticate": 'Basic realm="newform"'})
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    ttl = timedelta(seconds=settings.token_ttl_s)
    token = mint_token(private_pem, role=client.role, subject=f"client:{client.client_id}",
                       platform_id=client.platform_id, department=client.department, district=client.district,
                       ttl=ttl)
    return TokenResponse(access_token=token, token_type="Bearer", expires_in=int(ttl.total_seconds()))
