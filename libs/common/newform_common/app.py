"""The one way a service is assembled: settings, database, auth, errors, outbox relay, consumers,
health, readiness and metrics. A service passes its routers and what it consumes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from . import metrics
from .apidocs import project_version
from .auth import TokenVerifier
from .consumer import ConsumerRunner
from .db import Database
from .errors import Conflict, document_problems, install_problem_handlers
from .events import asyncapi_document
from .kafka import kafka_reachable
from .observability import RequestContextMiddleware, configure_logging
from .policy import PolicyNotInForce, business_date, get_policy
from .relay import OutboxRelay
from .settings import ServiceSettings

ConsumerFactory = Callable[[Database, ServiceSettings], Sequence[ConsumerRunner]]


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


def policy_check() -> tuple[bool, str]:
    """Which policy version is in force today and for how long; the operator's early warning."""
    policy = get_policy()
    days = policy_days_remaining(policy)
    try:
        version = policy.version_on(datetime.now(UTC))
    except PolicyNotInForce:
        return False, "no version in force today: load the successor version (NEWFORM_POLICY_DIR)"
    return True, f"{version.id} in force; the last loaded version expires in {days} days"


def policy_days_remaining(policy=None) -> int:
    policy = policy or get_policy()
    return (max(v.valid_until for v in policy.versions()) - business_date(datetime.now(UTC))).days


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
    on_startup: Callable[[FastAPI], Any] | None = None,
    on_shutdown: Callable[[FastAPI], Any] | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level)
    version = version or project_version()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(settings.database_url, service=settings.service_name)
        app.state.db = db
        relay = None
        if settings.run_relay:
            relay = OutboxRelay(db, settings.kafka_bootstrap_servers, batch_size=settings.relay_batch_size,
                                poll_interval=settings.relay_poll_interval_s)
            await relay.start()
        app.state.relay = relay
        runners = list(consumers(db, settings)) if consumers else []
        for runner in runners:
            await runner.start()
        app.state.consumers = runners
        if on_startup:
            await on_startup(app)
        try:
            yield
        finally:
            if on_shutdown:
                await on_shutdown(app)
            for runner in runners:
                await runner.stop()
            if relay:
                await relay.stop()
            await db.dispose()

    app = FastAPI(
        title=title, description=description, version=version, lifespan=lifespan,
        openapi_tags=(openapi_tags or []) + [{"name": "operations", "description": "Health, readiness, metrics"}],
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    metrics.POLICY_DAYS_REMAINING.set_function(policy_days_remaining)
    app.state.token_verifier = TokenVerifier(settings.public_key_pem())
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", tags=["operations"], summary="Readiness: database reachable; Kafka reported",
             responses={503: {"description": "The database is unreachable"}})
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
        ready = checks["database"] == "ok"
        status = "ready" if ready and kafka_ok and policy_ok else ("degraded" if ready else "not ready")
        return JSONResponse({"status": status, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI 3.0 document of this service's events")
    async def asyncapi() -> dict[str, Any]:
        return asyncapi_document(settings.service_name, version=version)

    for router in routers:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes,
                tags=app.openapi_tags))
        return app.openapi_schema

    app.openapi = openapi
    return app
