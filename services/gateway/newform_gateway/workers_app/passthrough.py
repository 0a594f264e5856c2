"""The workers' app's API pass-through: `/app/api/<service>/v1/...` → that service's `/v1/...`.

Why a pass-through and not the browser calling each service:
- **one origin**: the app, its API calls and the sign-in redirect (authorization code + PKCE comes back
  to `/app/`) all live on the gateway's origin, so the browser sends the worker's bearer token only
  to the site that served the page, and the page's Content-Security-Policy can stay `connect-src 'self'`
  (plus the identity provider's token endpoint);
- **no CORS on the services**: the seven services keep answering only same-origin and server-to-server
  callers; none needs a list of allowed origins that would have to follow every place the app is
  served from;
- the gateway adds nothing and decides nothing: the service checks the token and the worker's rights
  exactly as for any other caller (the token is forwarded as it came, never read here).

Production may instead point the app's API bases (`config.json`'s `api`, setting `WORKER_APP_API_BASE`)
at an ingress that routes `<base>/<service>/` to the services (allowing the app's origin by CORS): the
app only reads the bases from its configuration.

Only registered services (`newform_common.registry`) and only `/v1/...` paths pass: the operational
endpoints (metrics, readiness, the JWKS) stay out of a browser's reach through the gateway. A service
that cannot be reached answers 502, one that does not answer in time 504, both problem+json with a
Chinese `detail` the app shows as it is.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from newform_common import registry
from newform_common.errors import NotFound, Problem
from newform_common.observability import request_id_var

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

#: What the browser may send on to a service (everything else, cookies first, stays here).
FORWARDED_REQUEST_HEADERS = (
    "authorization",
    "idempotency-key",
    "content-type",
    "accept",
    "accept-language",
    "if-match",
)
#: What comes back from the service besides the status and the body.
FORWARDED_RESPONSE_HEADERS = (
    "content-type",
    "content-disposition",
    "location",
    "etag",
    "link",
    "retry-after",
    "www-authenticate",
    "idempotency-replayed",
    "deprecation",
    "sunset",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
#: How a worker knows each service (the problem's `detail` is shown to them as it is).
SERVICE_NAMES = {
    "contracts": "合同",
    "wages": "工资与工时",
    "disputes": "投诉与调解",
    "training": "技能培训",
    "unions": "工会",
    "departments": "部门核验",
}


class UpstreamUnavailable(Problem):
    """What is behind the gateway — a service, the identity provider — cannot be reached (502) or is too
    slow (504)."""

    status, slug, title = 502, "upstream-unavailable", "Bad gateway"


def proxied_services(request: Request) -> dict[str, str]:
    """Service name → base URL, registered services only (the gateway itself is not behind its own proxy)."""
    urls = request.app.state.settings.service_urls
    return {s.name: urls[s.name] for s in registry.SERVICES if s.name != "gateway" and s.name in urls}


def target_url(request: Request, service: str, path: str) -> str:
    base = proxied_services(request).get(service)
    if base is None:
        raise NotFound(f"没有名为 {service[:40]} 的服务（No service {service[:40]!r} behind the app's pass-through）")
    # Only the public API: `v1/...`; no `..` segment can climb out of it.
    segments = path.split("/")
    if not path.startswith("v1/") or any(s in ("", ".", "..") for s in segments[1:]) or "\\" in path:
        raise NotFound(f"只转发 /v1/ 下的接口（Only /v1/ paths pass through the app's API, not /{path[:60]}）")
    return f"{base}/{path}"


@router.api_route("/app/api/{service}/{path:path}", methods=METHODS)
async def pass_through(service: str, path: str, request: Request) -> Response:
    url = target_url(request, service, path)
    client: httpx.AsyncClient = request.app.state.worker_app_http
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    # One request id across the gateway's log and the service's (the browser's own, when it sent one).
    headers["x-request-id"] = request_id_var.get() or headers.get("x-request-id", "")
    body = await request.body()
    try:
        upstream = await client.request(
            request.method, url, params=request.query_params.multi_items(), headers=headers, content=body or None
        )
    except httpx.TimeoutException as exc:  # the log says it in English for operators; the worker reads Chinese
        log.warning("worker app pass-through: %s timed out (%s)", service, type(exc).__name__)
        raise UpstreamUnavailable(
            f"“{SERVICE_NAMES.get(service, service)}”服务未能及时响应，请稍后重试。",
            status=504,
            title="Gateway timeout",
            headers={"Retry-After": "5"},
        ) from exc
    except httpx.TransportError as exc:
        log.warning("worker app pass-through: %s unreachable (%s)", service, type(exc).__name__)
        raise UpstreamUnavailable(
            f"暂时无法连接“{SERVICE_NAMES.get(service, service)}”服务，请稍后重试。",
            headers={"Retry-After": "5"},
        ) from exc
    out = {name: upstream.headers[name] for name in FORWARDED_RESPONSE_HEADERS if name in upstream.headers}
    return Response(content=upstream.content, status_code=upstream.status_code, headers=out)
