"""The workers' app: one mobile-first page in Simplified Chinese for everything a worker does (contracts,
pay and hours, complaints and cases, training, the union), served by the gateway at `/app/` with
every asset (HTML, script, style, the Chinese web font) from this origin — no CDN, no external font.

Sign-in is OpenID Connect authorization code + PKCE (S256) in the browser against the configured
issuer; the app never asks for a token. `GET /app/config.json` tells the page the issuer's endpoints
(read here, server-side, from the issuer's discovery document: the browser needs no CORS for it),
the client id and the API bases (the gateway's pass-through, `passthrough.py`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from newform_common import policy, vocabulary
from newform_common.errors import NotFound
from newform_common.oidc import IdentityProviderUnavailable

from .passthrough import UpstreamUnavailable, proxied_services

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
#: The page's own files and their media types: nothing else of the folder is served.
FILES = {
    "auth.js": "text/javascript; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "station_map.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
#: Hotlines and channels the measures name (catalogue M11: a published complaint hotline; M20: online
#: complaint channels). Notices addressed to workers come later.
HOTLINES = [
    {"name": "人力资源和社会保障服务热线（劳动保障投诉、咨询）", "number": "12333", "measure": "M11、M20"},
]
CHANNELS = [
    {"name": "全国根治欠薪线索反映平台", "measure": "M20"},
    {"name": "西宁市劳动保障维权平台", "measure": "M20"},
]

router = APIRouter(include_in_schema=False)


def _origin(url: str | None) -> str:
    """` scheme://host[:port]` of an absolute URL; "" for none or a path (this origin)."""
    parts = urlsplit(url or "")
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _security_headers(*others: str | None) -> dict[str, str]:
    """Only this origin's files; fetches to this origin and to `others` (the issuer's token endpoint, an
    ingress as the API base); no framing."""
    connect = "".join(dict.fromkeys(_origin(url) for url in others))
    return {
        "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self'{connect}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def _issuer(request: Request) -> str | None:
    return request.app.state.settings.signin_issuer_url


@router.get("/app")
async def app_without_slash() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=308)


@router.get("/app/")
async def app_page(request: Request) -> Response:
    return Response(
        (STATIC / "index.html").read_bytes(),
        media_type="text/html; charset=utf-8",
        headers=_security_headers(_issuer(request), request.app.state.settings.worker_app_api_base),
    )


@router.get("/app/static/{name}")
async def app_file(name: str, request: Request) -> Response:
    if name not in FILES:
        raise NotFound(f"No file {name[:60]} in the workers' app")
    return Response((STATIC / name).read_bytes(), media_type=FILES[name], headers=_security_headers())


async def discovery(request: Request, issuer: str) -> dict[str, Any]:
    """The issuer's OpenID Provider metadata, as the services' verifier reads and keeps it (the kit's
    `OidcIssuer.discovery`); a 502 problem in Chinese the app can retry when it cannot be read."""
    try:
        return await request.app.state.authenticator.issuers[issuer].discovery()
    except IdentityProviderUnavailable as exc:
        raise UpstreamUnavailable("暂时无法连接统一身份认证服务，请稍后重试。", headers={"Retry-After": "5"}) from exc


@router.get("/app/config.json")
async def app_config(request: Request) -> Response:
    settings = request.app.state.settings
    issuer = _issuer(request)
    signin = None
    if issuer:
        document = await discovery(request, issuer)
        signin = {
            "issuer": issuer,
            "authorization_endpoint": document["authorization_endpoint"],
            "token_endpoint": document["token_endpoint"],
            "end_session_endpoint": document.get("end_session_endpoint"),
            "client_id": settings.worker_app_client_id,
            "scope": "openid",
        }
    body = {
        "signin": signin,
        "api": {name: f"{settings.worker_app_api_base.rstrip('/')}/{name}" for name in proxied_services(request)},
        "names": _names(),
        "hotlines": HOTLINES,
        "channels": CHANNELS,
    }
    return Response(content=_json(body), media_type="application/json", headers={"Cache-Control": "no-cache"})


def _names() -> dict[str, dict[str, str]]:
    """The Chinese names of the codes the app shows (occupations, districts, engagement types), for today."""
    today = policy.business_today()
    try:
        return {
            "engagement_types": vocabulary.engagement_types(today),
            "occupations": vocabulary.occupations(today),
            "districts": vocabulary.districts(today),
        }
    except LookupError:
        return {"engagement_types": {}, "occupations": {}, "districts": {}}


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


async def open_client(app: FastAPI) -> None:
    """The pass-through's and the discovery's HTTP client, for the app's lifetime (started on startup)."""
    timeout = app.state.settings.worker_app_timeout_s
    app.state.worker_app_http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False)


async def close_client(app: FastAPI) -> None:
    client = getattr(app.state, "worker_app_http", None)
    if client is not None:
        await client.aclose()
