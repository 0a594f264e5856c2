"""The one way a service is assembled: settings, database, auth, errors, outbox relay, consumers,
health, readiness and metrics. A service passes its routers and what it consumes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from . import calendar, idempotency, metrics, schedules
from . import policy as policy_module
from .apidocs import project_version
from .auth import TokenVerifier, oauth2_security_scheme
from .consumer import ConsumerRunner
from .db import Database
from .deadlines import DeadlineHandler, DeadlineWorker
from .docs_assets import mount_docs
from .edge import EdgeGuardMiddleware
from .errors import Conflict, document_problems, install_problem_handlers
from .events import asyncapi_document
from .fonts import mount_fonts
from .kafka import kafka_reachable
from .observability import RequestContextMiddleware, configure_logging
from .policy import PolicyNotInForce, get_policy
from .ratelimit import RateLimiter, RateLimitHeadersMiddleware
from .relay import OutboxRelay
from .responses import FastJSONResponse
from .settings import ServiceSettings

ConsumerFactory = Callable[[Database, ServiceSettings], Sequence[ConsumerRunner]]
DeadlineHandlers = Mapping[str, DeadlineHandler]


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.sessions() as session:
        session.info["database"] = db
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        try:
            await session.commit()
        except IntegrityError as exc:
            await session.rollback()
            raise Conflict("A concurrent request changed the same data; retry the request") from exc


# The request's transaction: opened before the endpoint, committed after it returns and before the
# response is sent, so a client never sees success for a write that did not commit.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def _snapshot_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.sessions() as session:
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        try:
            yield session
        finally:
            await session.rollback()


# For reads that compute several figures: one read-only snapshot for the whole request, so figures
# taken by different queries add up even while consumers commit between them.
SnapshotDep = Annotated[AsyncSession, Depends(_snapshot_session, scope="function")]


def policy_check(on: date | None = None) -> tuple[bool, str]:
    """Whether the municipal measures apply today and for how long; the operator's early warning.

    Still ok once they have lapsed without a successor (the service serves every request: facts are
    judged under the laws in force, rules resting only on the measures provisionally); the message
    and ``measures_state`` say so. Not ok (``degraded``) only when no version of them applies at all."""
    policy = get_policy()
    on = on or policy_module.business_today()
    try:
        status = policy.measures_status(on)
    except PolicyNotInForce as exc:
        return False, f"no municipal measures apply today: {exc}"
    v = status.version
    if status.provisional:
        return True, (
            f"the measures {v.document} ({v.id}) lapsed after {v.valid_until.isoformat()}; rules resting "
            "only on them run provisionally until the successor is loaded (NEWFORM_POLICY_DIR)"
        )
    return True, f"{v.id} in force; the measures expire in {policy_days_remaining(policy, on)} days"


def measures_state(on: date | None = None) -> dict[str, Any]:
    """The measures for /readyz: version applied, whether lapsed and since when (machine-readable)."""
    on = on or policy_module.business_today()
    try:
        status = get_policy().measures_status(on)
    except PolicyNotInForce:
        return {"version": None, "lapsed": False, "provisional": False}
    v = status.version
    return {
        "version": v.id,
        "document": v.document,
        "valid_until": v.valid_until.isoformat(),
        "lapsed": status.provisional,
        "provisional": status.provisional,
    }


def policy_days_remaining(policy=None, on: date | None = None) -> int:
    """Days until the measures' last loaded version lapses (negative: lapsed that many days ago)."""
    policy = policy or get_policy()
    on = on or policy_module.business_today()
    series = policy.measures_series
    versions = policy.series()[series] if series else policy.versions()
    return (max(v.valid_until for v in versions) - on).days


def operation_id(route: APIRoute) -> str:
    """operationId = the endpoint function's name: stable, readable names in generated SDKs."""
    return route.name


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    version: str | None = None,
    routers: Sequence[APIRouter] = (),
    openapi_tags: list[dict[str, Any]] | None = None,
    consumers: ConsumerFactory | None = None,
    deadline_handlers: DeadlineHandlers | None = None,
    on_startup: Callable[[FastAPI], Any] | None = None,
    on_shutdown: Callable[[FastAPI], Any] | None = None,
    schedule_hooks: Sequence[schedules.ScheduleHook] = (),
    configure_logs: bool = True,
) -> FastAPI:
    """The app of a service. `schedule_hooks` run when a year's holiday schedule is loaded (in the
    transaction that installs it and recomputes the service's clocks; see `schedules`)."""
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level)
    version = version or project_version()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(settings.database_url, service=settings.service_name, domain=settings.domain)
        app.state.db = db
        relay = None
        if settings.run_relay:
            relay = OutboxRelay(
                db,
                settings.kafka_bootstrap_servers,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval_s,
            )
            await relay.start()
        app.state.relay = relay
        runners = list(consumers(db, settings)) if consumers else []
        refresher = schedules.ScheduleRefresher(db)
        await refresher.start()
        if settings.calendar_topic and settings.domain != "gateway":  # the gateway loads; the others follow
            runners.append(
                ConsumerRunner(
                    db,
                    settings.kafka_bootstrap_servers,
                    group_id=f"{settings.service_name}-calendar",
                    handler=schedules.consumer_handler(schedule_hooks),
                    topics=[settings.calendar_topic],
                    types=[schedules.SCHEDULE_LOADED],
                    max_attempts=settings.consumer_max_attempts,
                )
            )
        for runner in runners:
            await runner.start()
        app.state.consumers = runners
        deadline_worker = None
        if deadline_handlers and settings.run_deadlines:
            deadline_worker = DeadlineWorker(db, deadline_handlers, poll_interval=settings.deadline_poll_interval_s)
            await deadline_worker.start()
        app.state.deadline_worker = deadline_worker
        if on_startup:
            await on_startup(app)
        # What exists now (modules, routes, models, the policy) lives as long as the app: out of the
        # cyclic collector's reach, a full collection walks only what requests leave behind. It walked
        # ~140k objects, ~60 ms with every request in flight stalled: the P3 benchmark's p99.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # collectable again once the app is gone (tests start many apps in one process)
            if on_shutdown:
                await on_shutdown(app)
            if deadline_worker:
                await deadline_worker.stop()
            await refresher.stop()
            for runner in runners:
                await runner.stop()
            if relay:
                await relay.stop()
            await db.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=(openapi_tags or []) + [{"name": "operations", "description": "Health, readiness, metrics"}],
        generate_unique_id_function=operation_id,
        default_response_class=FastJSONResponse,
        docs_url=None,
        redoc_url=None,  # served with local assets by mount_docs (no CDN)
    )
    app.state.settings = settings
    app.state.deadline_handlers = dict(deadline_handlers or {})
    metrics.POLICY_DAYS_REMAINING.set_function(policy_days_remaining)
    metrics.CALENDAR_DAYS_COVERED.set_function(lambda: calendar.coverage()[1])
    app.state.token_verifier = TokenVerifier(settings.public_key_pem())
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    install_problem_handlers(app)
    idempotency.install_purge(app)  # expired Idempotency-Key records go after the documented retention
    app.add_middleware(EdgeGuardMiddleware)  # innermost: refusals are logged and rate-limited like the rest
    app.add_middleware(DeprecationHeadersMiddleware)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: database reachable; Kafka reported",
        responses={503: {"description": "The database is unreachable"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        # Only the database gates readiness: with Kafka down, writes still commit to the outbox and
        # are published later, so taking the service out of rotation would lose availability for
        # nothing. Kafka's state is reported for operators and alerting.
        checks: dict[str, str] = {}
        try:
            await request.app.state.db.ping()
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; the reason is for the operator
            checks["database"] = f"unreachable: {type(exc).__name__}"
        kafka_ok = await kafka_reachable(settings.kafka_bootstrap_servers)
        checks["kafka"] = "ok" if kafka_ok else "unreachable (events wait in the outbox)"
        policy_ok, checks["policy"] = policy_check()
        # The calendar never makes a service unready: without a year's schedule it answers provisionally.
        # Its state is an early warning for the operator (60 days before the schedules run out).
        calendar_ok, checks["calendar"] = schedules.coverage_check()
        covered_until, days_left = calendar.coverage()
        ready = checks["database"] == "ok"
        status = "ready" if ready and kafka_ok and policy_ok else ("degraded" if ready else "not ready")
        return JSONResponse(
            {
                "status": status,
                "checks": checks,
                "measures": measures_state(),
                "calendar": {
                    "covered_until": covered_until.isoformat(),
                    "days_left": days_left,
                    "warning": not calendar_ok,
                },
            },
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get(
        "/.well-known/jwks.json",
        tags=["operations"],
        response_model=JsonWebKeySet,
        summary="The public keys that verify bearer tokens here (JWKS, RFC 7517), by key id",
    )
    async def jwks(request: Request) -> dict[str, Any]:
        return request.app.state.token_verifier.jwks()

    @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI 3.0 document of this service's events")
    async def asyncapi() -> dict[str, Any]:
        return asyncapi_document(settings.service_name, version=version)

    for router in routers:
        app.include_router(router)
    mount_fonts(app)  # every service's pages can render Chinese without system fonts
    mount_docs(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = oauth2_security_scheme(
                document_headers(
                    document_problems(
                        get_openapi(
                            title=app.title,
                            version=app.version,
                            description=app.description,
                            routes=app.routes,
                            tags=app.openapi_tags,
                            webhooks=app.webhooks.routes,
                            servers=_servers(settings.service_name),
                        )
                    )
                ),
                settings,
            )
        return app.openapi_schema

    app.openapi = openapi
    return app


class JsonWebKey(BaseModel):
    kty: str = Field(description="OKP")
    crv: str = Field(description="Ed25519")
    x: str = Field(description="The public key, base64url")
    kid: str = Field(description="Key id: the RFC 7638 thumbprint, as in a token's `kid` header")
    alg: str = "EdDSA"
    use: str = "sig"


class JsonWebKeySet(BaseModel):
    keys: list[JsonWebKey]


def _servers(service: str) -> list[dict[str, str]]:
    from .registry import spec

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

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
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
