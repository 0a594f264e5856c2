"""Token issuance for machines: OAuth 2.0 client credentials (RFC 6749 §4.4) at `POST /oauth/token`.

Platform backends and departments' systems are *registered clients*: an operator adds one with
`newform gateway client add --role platform --platform-id meituan` (the secret is printed once; the
file keeps only its SHA-256) to the file named by `GATEWAY_CLIENTS_FILE`. The client exchanges
`client_id` + `client_secret` (HTTP Basic or form fields) for a bearer token signed with
`TOKEN_SIGNING_KEY(_FILE)` (Ed25519, the key whose public half every service has in
`JWT_PUBLIC_KEY`), valid `TOKEN_TTL_S` seconds, carrying the client's role (`role` claim) and scope
(`scope` claim, space-separated: `platform:demo`). A request may ask for a subset of the client's
scope (`scope=department:county district:chengxi`); asking for one it does not hold is
`invalid_scope`.

The endpoint speaks RFC 6749 exactly, so any OAuth client library works: the body is
`application/x-www-form-urlencoded` (parsed here, not by FastAPI, so that a missing or repeated
parameter is a 400 `invalid_request` rather than a 422); every error is §5.2 JSON
(`{"error", "error_description"}`, `application/json`, `Cache-Control: no-store`), never
problem+json. `invalid_grant` does not arise: client credentials carry no grant to be invalid. Only
the gateway's own misconfiguration (no signing key: 503) stays a problem, as it is no OAuth error.

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
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from newform_common.auth import SCOPE_REQUIRED, Role, mint_token, parse_scope, scope_string
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
    return {
        e["client_id"]: Client(
            client_id=e["client_id"],
            secret_sha256=e["secret_sha256"],
            role=Role(e["role"]),
            platform_id=e.get("platform_id"),
            department=e.get("department"),
            district=e.get("district"),
        )
        for e in entries
    }


def add_client(
    path: Path,
    *,
    client_id: str,
    role: str,
    platform_id: str | None = None,
    department: str | None = None,
    district: str | None = None,
) -> str:
    """Register a client in the clients file; returns its secret (shown once, stored hashed)."""
    Role(role)
    scope_string(platform_id=platform_id, department=department, district=district)  # each value is one scope token
    if client_id in load_clients(path):
        raise ValueError(f"client {client_id!r} is already registered in {path}")
    secret = secrets.token_urlsafe(32)
    lines = [
        "",
        "[[clients]]",
        f'client_id = "{client_id}"',
        f'secret_sha256 = "{hashlib.sha256(secret.encode()).hexdigest()}"',
        f'role = "{role}"',
    ]
    lines += [
        f'{k} = "{v}"'
        for k, v in (("platform_id", platform_id), ("department", department), ("district", district))
        if v
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    return secret


FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_BODY = 8192  # a client-credentials request is a few hundred bytes
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
# Every service's Swagger UI (another origin: its own port or host) fetches tokens here from the
# browser. Any origin may: the request carries the client's own credentials, never a cookie, so no
# page can use this to act with someone else's authority.
CORS = {"Access-Control-Allow-Origin": "*"}
CORS_PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, X-Requested-With, X-Request-ID",
    "Access-Control-Max-Age": "600",
}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error, answered as its JSON (see the module docstring)."""

    def __init__(self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.error, self.description, self.status, self.headers = error, description, status, headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers={**NO_STORE, **CORS, **self.headers},
        )


class TokenRequest(BaseModel):
    """The form fields of a token request (RFC 6749 §4.4.2, client authentication §2.3.1)."""

    grant_type: str = Field(description="`client_credentials`")
    client_id: str | None = Field(None, max_length=200, description="Unless sent with HTTP Basic")
    client_secret: str | None = Field(None, max_length=500, description="Unless sent with HTTP Basic")
    scope: str | None = Field(
        None,
        max_length=1000,
        description="Space-separated subset of the client's scope "
        "(e.g. `department:county district:chengxi`); omitted: all of it",
    )


class TokenResponse(BaseModel):
    access_token: str = Field(description="A bearer token for every newform service")
    token_type: str = Field("Bearer", description="Always `Bearer`")
    expires_in: int = Field(description="Seconds until the token expires: request a new one before")
    scope: str | None = Field(
        None,
        description="The token's scope, space-separated (`platform:demo`, "
        "`department:county district:chengxi`); absent for roles without one (regulator, admin)",
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, colon, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError(
            "invalid_client",
            "Unreadable Basic credentials",
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="newform"'},
        ) from exc
    if not colon:
        raise OAuthError(
            "invalid_client",
            "Basic credentials are client_id:client_secret",
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="newform"'},
        )
    # RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding
    return unquote_plus(client_id), unquote_plus(secret)


async def _form(request: Request) -> dict[str, str]:
    """The request's parameters: form-encoded only, none repeated; one sent without a value counts as
    omitted (RFC 6749 §3.1)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise OAuthError("invalid_request", f"The request body must be {FORM_MEDIA_TYPE} (RFC 6749 §4.4.2)")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise OAuthError("invalid_request", f"The request body is longer than {MAX_BODY} bytes")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError("invalid_request", "The request body is not readable form data") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise OAuthError("invalid_request", f"The parameter {name!r} is sent more than once")
        fields[name] = value
    for name, value in fields.items():
        if "\x00" in value or "\x00" in name:
            raise OAuthError("invalid_request", "A parameter holds a NUL character")
    return {k: v for k, v in fields.items() if v != ""}


def _granted_scope(client: Client, requested: str | None) -> dict[str, str | None]:
    """The token's scope fields: all of the client's, or the requested subset of them."""
    held = {"platform_id": client.platform_id, "department": client.department, "district": client.district}
    if requested is None:
        return held
    tokens = requested.split(" ")
    if any(not t for t in tokens):
        raise OAuthError("invalid_scope", "scope is scope tokens separated by single spaces")
    holds = set(scope_string(**held).split())
    unheld = [t for t in tokens if t not in holds]
    if unheld:
        raise OAuthError(
            "invalid_scope",
            f"This client does not hold the scope {' '.join(unheld)!r}; it holds {' '.join(sorted(holds)) or 'none'!r}",
        )
    granted = parse_scope(requested)
    return {k: granted.get(k) for k in held}


@token_router.post(
    "/oauth/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    summary="Client credentials → bearer token (RFC 6749 §4.4)",
    openapi_extra={
        "requestBody": {"required": True, "content": {FORM_MEDIA_TYPE: {"schema": TokenRequest.model_json_schema()}}}
    },
    responses={
        400: {
            "description": "RFC 6749 §5.2 error: invalid_request (a parameter missing, repeated or "
            "malformed, or a body not form-encoded), unsupported_grant_type, "
            "invalid_scope or unauthorized_client"
        },
        401: {"description": "invalid_client: unknown client, wrong secret or unreadable credentials"},
        503: {
            "description": "Token issuance is not configured on this gateway",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
        },
    },
)
async def issue_token(request: Request) -> TokenResponse | JSONResponse:
    settings = request.app.state.settings
    private_pem = settings.token_signing_private_pem()
    if private_pem is None:
        raise Problem(
            "This gateway issues no tokens: set TOKEN_SIGNING_KEY_FILE and GATEWAY_CLIENTS_FILE",
            status=503,
            title="Token issuance not configured",
            slug="token-issuance-not-configured",
        )
    try:
        form = await _form(request)
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise OAuthError("invalid_request", "grant_type is required (grant_type=client_credentials)")
        if grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type", "Only grant_type=client_credentials is supported")
        for name, limit in (("client_id", 200), ("client_secret", 500), ("scope", 1000)):
            if len(form.get(name, "")) > limit:
                raise OAuthError("invalid_request", f"{name} is longer than {limit} characters")
        basic = _basic_credentials(request)
        # One authentication method per request (RFC 6749 §2.3); some libraries repeat the Basic
        # client_id as a form field, which is no second method.
        if basic and ("client_secret" in form or form.get("client_id", basic[0]) != basic[0]):
            raise OAuthError(
                "invalid_request", "Authenticate either with HTTP Basic or with form fields, not both (RFC 6749 §2.3)"
            )
        client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
        if not client_id or not client_secret:
            raise OAuthError("invalid_request", "client_id and client_secret are required (form fields or Basic)")
        client = load_clients(settings.clients_file).get(client_id)
        if client is None or not client.secret_matches(client_secret):
            raise OAuthError(
                "invalid_client",
                "Unknown client or wrong secret",
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="newform"'},
            )
        if client.role == Role.worker:
            raise OAuthError(
                "unauthorized_client",
                "Worker tokens come from the identity provider after real-name "
                "verification, never from client credentials",
            )
        scope = _granted_scope(client, form.get("scope"))
        needed = SCOPE_REQUIRED.get(client.role)
        if needed and not scope[needed]:
            if getattr(client, needed):
                raise OAuthError(
                    "invalid_scope",
                    f"A {client.role} token needs this client's "
                    f"{scope_string(**{needed: getattr(client, needed)})} scope",
                )
            raise OAuthError(
                "unauthorized_client",
                f"This {client.role} client is registered without a {needed}: an operator must re-register it",
            )
        ttl = timedelta(seconds=settings.token_ttl_s)
        try:
            token = mint_token(private_pem, role=client.role, subject=f"client:{client.client_id}", ttl=ttl, **scope)
        except ValueError as exc:  # a registration the clients file was edited into by hand
            raise OAuthError(
                "unauthorized_client", f"This client's registration cannot be issued a token: {exc}"
            ) from exc
    except OAuthError as refused:
        return refused.response()
    granted = scope_string(**scope)
    answer = TokenResponse(
        access_token=token, token_type="Bearer", expires_in=int(ttl.total_seconds()), scope=granted or None
    )
    return JSONResponse(answer.model_dump(exclude_none=True), headers={**NO_STORE, **CORS})


@token_router.options("/oauth/token", include_in_schema=False)
async def token_preflight() -> Response:
    """CORS preflight of a browser's token request (Swagger UI's Authorize dialog on any service)."""
    return Response(status_code=204, headers=CORS_PREFLIGHT)
