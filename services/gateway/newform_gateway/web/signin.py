"""The dashboard's sign-in and sign-out (issue 21). Officers of the regulator and the departments
sign in through the city's identity provider, where every government system signs them in. Pasting
a token (`newform token`) is open only where the gateway trusts no provider (`newform dev
--no-idp`) or in development.

Authorization code with PKCE (RFC 7636), the gateway as the client (`DASHBOARD_CLIENT_ID`, with
`DASHBOARD_CLIENT_SECRET(_FILE)` when the provider registers it as confidential):
1. `GET /signin/idp?next=…` keeps `state`, `nonce`, the code verifier and where to go next in a
   short-lived signed cookie (HMAC, SameSite=Lax: it must come back on the provider's redirect, a
   top-level navigation from another site) and sends the browser to the provider's login page.
2. `GET /signin/callback?code&state` checks the state, exchanges the code at the provider's token
   endpoint (server to server), verifies the access token like any service does (the kit's
   `Authenticator`: issuer, audience, signature, role), and admits department, regulator and admin
   roles only.
3. The dashboard's session is then a token the gateway signs itself (`TOKEN_SIGNING_KEY`, the key
   of its `/oauth/token`), with the same role and scope, for `DASHBOARD_SESSION_TTL_S`: the
   provider's access tokens live minutes, a working session hours, and the pages' check stays the
   local verifier's. The provider's ID token is kept (HttpOnly) only as the hint its end-session
   endpoint wants at sign-out, which ends the session at the provider too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newform_common.auth import mint_token
from newform_common.errors import Problem
from newform_common.identity import derive_key
from newform_common.oidc import OidcIssuer

from .shell import ALLOWED_ROLES, TEXT, TOKEN_COOKIE, lang_of, render, safe_next

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "newform_signin"
ID_TOKEN_COOKIE = "newform_id_token"
#: How long a sign-in may take at the provider's login page.
STATE_TTL_S = 600


def pasting_allowed(request: Request) -> bool:
    settings = request.app.state.settings
    return signin_issuer(request) is None or bool(settings.dev_mode)


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, next: str = "/") -> Response:
    return render(
        request,
        "signin.html",
        lang_of(request),
        principal=None,
        csrf="",
        next=safe_next(next),
        error=None,
        idp=signin_issuer(request) is not None,
        paste=pasting_allowed(request),
    )


@router.post("/signin")
async def signin_with_token(
    request: Request, token: str = Form(..., max_length=4000), next: str = Form("/")
) -> Response:
    lang = lang_of(request)
    if not pasting_allowed(request):
        return RedirectResponse("/signin/idp?" + urlencode({"next": safe_next(next)}), status_code=303)
    try:
        request.app.state.token_verifier.verify(token.strip())
    except Problem as exc:
        return render(
            request,
            "signin.html",
            lang,
            status_code=401,
            principal=None,
            csrf="",
            next=safe_next(next),
            error=exc.detail,
            idp=signin_issuer(request) is not None,
            paste=True,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.app.state.settings.cookie_secure,
        max_age=12 * 3600,
    )
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    after = str(request.url_for("signin_page"))
    response = RedirectResponse(await end_session_url(request, after) or "/signin", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    response.delete_cookie(ID_TOKEN_COOKIE, path="/")
    return response


def signin_issuer(request: Request) -> OidcIssuer | None:
    """The issuer the dashboard signs people in with; None when the gateway trusts none (`--no-idp`)."""
    url = request.app.state.settings.signin_issuer_url
    issuers: dict[str, OidcIssuer] = request.app.state.authenticator.issuers
    return issuers.get(url) if url else None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _seal(request: Request, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    key = derive_key(request.app.state.settings.pii_secret, "dashboard signin state v1")
    return body + "." + _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def _unseal(request: Request, sealed: str | None) -> dict[str, Any] | None:
    if not sealed or "." not in sealed:
        return None
    body, signature = sealed.rsplit(".", 1)
    key = derive_key(request.app.state.settings.pii_secret, "dashboard signin state v1")
    if not hmac.compare_digest(_b64(hmac.new(key, body.encode(), hashlib.sha256).digest()), signature):
        return None
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return payload if payload.get("exp", 0) > time.time() else None


def _callback_url(request: Request) -> str:
    return str(request.url_for("signin_callback"))


@router.get("/signin/idp")
async def signin_at_provider(request: Request, next: str = "/") -> Response:
    issuer = signin_issuer(request)
    if issuer is None:
        return RedirectResponse("/signin", status_code=303)
    try:
        endpoints = await issuer.discovery()
    except Problem:
        return _failure(request, "provider_down", 503)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    settings = request.app.state.settings
    query = {
        "response_type": "code",
        "client_id": settings.dashboard_client_id,
        "redirect_uri": _callback_url(request),
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
        "ui_locales": "zh-CN" if lang_of(request) == "zh" else "en",
    }
    response = RedirectResponse(f"{endpoints['authorization_endpoint']}?{urlencode(query)}", status_code=303)
    sealed = _seal(
        request,
        {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": safe_next(next),
            "exp": time.time() + STATE_TTL_S,
        },
    )
    response.set_cookie(
        STATE_COOKIE, sealed, httponly=True, samesite="lax", secure=settings.cookie_secure, max_age=STATE_TTL_S
    )
    return response


@router.get("/signin/callback", name="signin_callback")
async def signin_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    issuer = signin_issuer(request)
    started = _unseal(request, request.cookies.get(STATE_COOKIE))
    if issuer is None or started is None or not state or not hmac.compare_digest(started["state"], state):
        return _failure(request, "state", 400)
    if error or not code:
        return _failure(request, "refused", 401)
    try:
        tokens = await _exchange(request, issuer, code, started["verifier"])
        principal = await request.app.state.authenticator.verify(tokens["access_token"])
    except Problem as exc:
        return _failure(request, "provider_down" if exc.status == 503 else "refused", exc.status)
    except (httpx.HTTPError, KeyError, ValueError):
        return _failure(request, "refused", 401)
    id_token = tokens.get("id_token")
    if id_token and jwt.decode(id_token, options={"verify_signature": False}).get("nonce") != started["nonce"]:
        return _failure(request, "state", 400)  # the ID token came from the token endpoint directly: the nonce suffices
    if principal.role not in ALLOWED_ROLES:
        return _failure(request, "role", 403)
    settings = request.app.state.settings
    private_pem = settings.token_signing_private_pem()
    if private_pem is None:
        return _failure(request, "no_signing_key", 503)
    session = mint_token(
        private_pem,
        role=principal.role,
        subject=principal.subject,
        platform_id=principal.platform_id,
        department=principal.department,
        district=principal.district,
        ttl=timedelta(seconds=settings.dashboard_session_ttl_s),
    )
    response = RedirectResponse(started["next"], status_code=303)
    common = {"httponly": True, "path": "/", "secure": settings.cookie_secure}
    response.set_cookie(TOKEN_COOKIE, session, samesite="strict", max_age=settings.dashboard_session_ttl_s, **common)
    if id_token:
        response.set_cookie(
            ID_TOKEN_COOKIE, id_token, samesite="strict", max_age=settings.dashboard_session_ttl_s, **common
        )
    response.delete_cookie(STATE_COOKIE)
    return response


async def _exchange(request: Request, issuer: OidcIssuer, code: str, verifier: str) -> dict[str, Any]:
    settings = request.app.state.settings
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": _callback_url(request),
        "code_verifier": verifier,
        "client_id": settings.dashboard_client_id,
    }
    secret = settings.dashboard_client_secret_value()
    auth = (settings.dashboard_client_id, secret) if secret else None
    endpoints = await issuer.discovery()
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(endpoints["token_endpoint"], data=form, auth=auth)
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


async def end_session_url(request: Request, after: str) -> str | None:
    """Where sign-out sends the browser so the provider's session ends too; None without a provider."""
    issuer = signin_issuer(request)
    if issuer is None:
        return None
    try:
        endpoint = (await issuer.discovery()).get("end_session_endpoint")
    except Problem:
        return None  # the dashboard's own session is gone either way
    if not endpoint:
        return None
    query = {"client_id": request.app.state.settings.dashboard_client_id, "post_logout_redirect_uri": after}
    if hint := request.cookies.get(ID_TOKEN_COOKIE):
        query["id_token_hint"] = hint
    return f"{endpoint}?{urlencode(query)}"


def _failure(request: Request, reason: str, status: int) -> Response:
    lang = lang_of(request)
    message = TEXT[lang][f"idp_{reason}"]
    return render(request, "error.html", lang, status_code=status, principal=None, csrf="", message=message)
