"""How every service's OpenAPI document is completed, the same way for all: operation ids, the
headers the API reads or sets, deprecation (operation, headers), the local server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import idempotency
from .registry import spec


def operation_id(route: APIRoute) -> str:
    """operationId = the endpoint function's name: stable, readable names in generated SDKs."""
    return route.name


def servers(service: str) -> list[dict[str, str]]:
    """The document's `servers`: where `make run` serves the service on this machine."""
    try:
        port = spec(service).port
    except KeyError:
        return []
    return [{"url": f"http://127.0.0.1:{port}", "description": "`make run` on this machine"}]


def deprecation(since: date, sunset: date, *, successor: str | None = None) -> dict[str, Any]:
    """Route arguments that deprecate an operation (see api/README.md, deprecation policy):
    `@router.get("/v1/old", **deprecation(date(2027, 1, 1), date(2027, 7, 1), successor="/v1/new"))`.
    The operation is marked `deprecated` in OpenAPI and every response carries `Deprecation`
    (RFC 9745), `Sunset` (RFC 8594) and, with a successor, a `Link` to it."""
    extra: dict[str, Any] = {"x-deprecated-since": since.isoformat(), "x-sunset": sunset.isoformat()}
    if successor:
        extra["x-successor"] = successor
    return {"deprecated": True, "openapi_extra": extra}


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)


class DeprecationHeadersMiddleware:
    """Adds Deprecation/Sunset/Link to the responses of operations declared with `deprecation()`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            route = scope.get("route")
            extra = getattr(route, "openapi_extra", None) or {}
            if message["type"] == "http.response.start" and getattr(route, "deprecated", False) and extra:
                headers = [
                    (b"deprecation", f"@{int(_midnight(extra['x-deprecated-since']).timestamp())}".encode()),
                    (b"sunset", format_datetime(_midnight(extra["x-sunset"]), usegmt=True).encode()),
                ]
                if extra.get("x-successor"):
                    headers.append((b"link", f'<{extra["x-successor"]}>; rel="successor-version"'.encode()))
                message["headers"] = list(message.get("headers", [])) + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "schema": schema}


# Every header the API reads or sets, declared once for every service.
HEADERS = {
    "X-Request-ID": _header(
        "The request's id (the caller's `X-Request-ID` if it sent one); quote it when reporting a problem",
        {"type": "string", "maxLength": 100},
    ),
    "Idempotent-Replayed": _header(
        "`true` when this is the stored response of an earlier request with the same "
        "Idempotency-Key (nothing was created again)",
        {"type": "string", "enum": ["true"]},
    ),
    "Retry-After": _header(
        "Seconds to wait before retrying (on 409 only with `concurrent-change`)", {"type": "integer", "minimum": 0}
    ),
    "WWW-Authenticate": _header('The authentication scheme expected (`Bearer realm="newform"`)', {"type": "string"}),
    "RateLimit-Limit": _header(
        "Requests the caller may make in a burst (its token bucket's size)", {"type": "integer", "minimum": 1}
    ),
    "RateLimit-Remaining": _header("Requests left in the caller's bucket now", {"type": "integer", "minimum": 0}),
    "RateLimit-Reset": _header("Seconds until the caller's bucket is full again", {"type": "integer", "minimum": 0}),
    "Deprecation": _header(
        "The operation is deprecated, since this moment (RFC 9745: `@<unix seconds>`)",
        {"type": "string", "pattern": "^@[0-9]+$"},
    ),
    "Sunset": _header("When the deprecated operation will be removed (RFC 8594, an HTTP-date)", {"type": "string"}),
}

PARAMETERS = {
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Makes a creating request safe to retry: a retry with the same key (and the same body) "
        "returns the first response with `Idempotent-Replayed: true` and creates nothing. Keys are "
        "scoped to the caller; reusing one for a different request is a 422 problem.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "example": "9b3e1c52-0d4e-4f7e-9b8e-2f4f0d7f2c11",
    },
    "RequestId": {
        "name": "X-Request-ID",
        "in": "header",
        "required": False,
        "description": "Your id for this request; echoed in the response and written to the service's logs",
        "schema": {"type": "string", "maxLength": 100},
    },
}


WRITE_METHODS = ("post", "put", "patch", "delete")
HONOURS_KEY_EXTENSION = idempotency.HONOURS_KEY_EXTENSION
# Any write can lose a lock race (errors.install_problem_handlers: `concurrent-change`, with Retry-After).
CONCURRENT_CHANGE = (
    "Concurrent change (`concurrent-change`): the request met a concurrent change of the same data "
    "and changed nothing; retry after `Retry-After` seconds with the same Idempotency-Key"
)


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def document_headers(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every header the API reads or sets, so SDKs can send and read them: Idempotency-Key on
    POSTs that honour it (every 201, and those marked `idempotency.HONOURS_KEY`) and Idempotent-Replayed
    on their 2xx; X-Request-ID everywhere; RateLimit-* and a 429 on authenticated operations;
    Retry-After on 429, 503 and the 409 every write can answer (a lost lock race, `concurrent-change`);
    WWW-Authenticate on 401; Deprecation/Sunset when deprecated. Header parameters an operation lists
    in `x-required-headers` are marked required (checked by the code, which answers its own problem
    rather than FastAPI's 422)."""
    components = schema.setdefault("components", {})
    components["headers"] = dict(HEADERS)
    components["parameters"] = {**components.get("parameters", {}), **PARAMETERS}
    rate = {h: _ref("headers", h) for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
    for item in schema.get("paths", {}).values():
        for method, op in item.items():
            responses = op.setdefault("responses", {})
            params = op.setdefault("parameters", [])
            params.append(_ref("parameters", "RequestId"))
            required_headers = set(op.pop("x-required-headers", ()))
            for param in params:
                if param.get("in") == "header" and param.get("name") in required_headers:
                    param["required"] = True
            honours_key = op.pop(HONOURS_KEY_EXTENSION, False)
            if method == "post" and ("201" in responses or honours_key):
                params.append(_ref("parameters", "IdempotencyKey"))
                for code in responses:
                    if code.startswith("2"):
                        responses[code].setdefault("headers", {})["Idempotent-Replayed"] = _ref(
                            "headers", "Idempotent-Replayed"
                        )
            if method in WRITE_METHODS:
                own = responses.get("409")
                responses["409"] = {
                    **(own or {}),
                    "description": (
                        f"{own['description']}; or {CONCURRENT_CHANGE.lower()}" if own else CONCURRENT_CHANGE
                    ),
                    "content": problem,
                }
            if op.get("security"):
                responses.setdefault(
                    "429",
                    {
                        "description": "Rate limit exceeded for this caller: retry after `Retry-After` seconds",
                        "content": problem,
                    },
                )
            for code, response in responses.items():
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = _ref("headers", "X-Request-ID")
                if op.get("security"):
                    headers.update(rate)
                if code in ("409", "429", "503"):
                    headers["Retry-After"] = _ref("headers", "Retry-After")
                if code == "401":
                    headers["WWW-Authenticate"] = _ref("headers", "WWW-Authenticate")
                if op.get("deprecated") and code.startswith("2"):
                    headers["Deprecation"] = _ref("headers", "Deprecation")
                    headers["Sunset"] = _ref("headers", "Sunset")
            responses = dict(sorted(responses.items()))
            op["responses"] = responses
    return schema
