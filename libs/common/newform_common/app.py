"""The one way a service is assembled: settings, database, auth, errors, outbox relay, consumers,
health, readiness and metrics. A service passes its routers; what it consumes comes from its
registry line and its `handlers` module (`wiring`), unless it passes `consumers` of its own."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from . import calendar, idempotency, metrics, problem_types, schedules, wiring
from .auth import TokenVerifier, oauth2_security_scheme
from .consumer import ConsumerRunner
from .db import Database
from .deadlines import DeadlineHandler, DeadlineWorker
from .docs_assets import mount_docs, mount_front_page
from .edge import EdgeGuardMiddleware
from .errors import Conflict, document_problems, install_problem_handlers
from .fonts import mount_fonts
from .identity import pseudonym_key
from .observability import RequestContextMiddleware, configure_logging
from .oidc import Authenticator, issuer_urls
from .openapi_document import DeprecationHeadersMiddleware, deprecation, document_headers, operation_id, servers
from .operations import operations_router, policy_days_remaining
from .ratelimit import RateLimiter, RateLimitHeadersMiddleware
from .relay import OutboxRelay
from .responses import FastJSONResponse
from .settings import ServiceSettings
from .version import project_version

__all__ = ["SessionDep", "SnapshotDep", "create_service_app", "deprecation"]

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
    """The app of a service. `consumers` defaults to the registry's wiring (`wiring`);
    `schedule_hooks` run when a year's holiday schedule is loaded (in the transaction that installs it
    and recomputes the service's clocks; see `schedules`)."""
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level)
    version = version or project_version()
    parts = Parts(
        consumers=consumers or wiring.consumers_from_registry,
        deadline_handlers=dict(deadline_handlers or {}),
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        schedule_hooks=tuple(schedule_hooks),
    )
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan(settings, parts),
        openapi_tags=(openapi_tags or []) + [{"name": "operations", "description": "Health, readiness, metrics"}],
        generate_unique_id_function=operation_id,
        default_response_class=FastJSONResponse,
        docs_url=None,
        redoc_url=None,  # served with local assets by mount_docs (no CDN)
    )
    app.state.settings = settings
    app.state.deadline_handlers = parts.deadline_handlers
    metrics.POLICY_DAYS_REMAINING.set_function(policy_days_remaining)
    metrics.CALENDAR_DAYS_COVERED.set_function(lambda: calendar.coverage()[1])
    app.state.token_verifier = TokenVerifier(settings.public_key_pem())
    app.state.authenticator = Authenticator(
        app.state.token_verifier,
        issuer_urls(settings.oidc_issuers),
        audience=settings.oidc_audience,
        pseudonym_key=pseudonym_key(settings.pii_secret),
    )
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    problem_types.install(app)  # the pages the `type` URIs resolve to
    install_problem_handlers(app)
    idempotency.install_purge(app)  # expired Idempotency-Key records go after the documented retention
    app.add_middleware(EdgeGuardMiddleware)  # innermost: refusals are logged and rate-limited like the rest
    app.add_middleware(DeprecationHeadersMiddleware)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    for router in (operations_router(settings, version), *routers):
        app.include_router(router)
    mount_fonts(app)  # every service's pages can render Chinese without system fonts
    mount_docs(app)
    mount_front_page(app, settings.worker_app_url)  # after the routers: a service's own `/` wins
    install_openapi(app, settings)
    return app


@dataclass(frozen=True)
class Parts:
    """What runs beside the requests, as the service gave it."""

    consumers: ConsumerFactory
    deadline_handlers: dict[str, DeadlineHandler]
    on_startup: Callable[[FastAPI], Any] | None
    on_shutdown: Callable[[FastAPI], Any] | None
    schedule_hooks: tuple[schedules.ScheduleHook, ...]


def calendar_listener(db: Database, settings: ServiceSettings, parts: Parts) -> list[ConsumerRunner]:
    """Every service but the gateway follows the regulator's holiday-schedule loads (`schedules`)."""
    if not settings.calendar_topic or settings.domain == "gateway":  # the gateway loads; the others follow
        return []
    return [
        ConsumerRunner(
            db,
            settings.kafka_bootstrap_servers,
            group_id=f"{settings.service_name}-calendar",
            handler=schedules.consumer_handler(parts.schedule_hooks),
            topics=[settings.calendar_topic],
            types=[schedules.SCHEDULE_LOADED],
            max_attempts=settings.consumer_max_attempts,
        )
    ]


def lifespan(settings: ServiceSettings, parts: Parts) -> Callable[[FastAPI], Any]:
    """Starts the database, the outbox relay, the consumers, the schedule refresher and the deadline
    worker, in that order, and stops them in the reverse order."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        db = app.state.db = Database(settings.database_url, service=settings.service_name, domain=settings.domain)
        relay = app.state.relay = None
        if settings.run_relay:
            relay = app.state.relay = OutboxRelay(
                db,
                settings.kafka_bootstrap_servers,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval_s,
            )
            await relay.start()
        runners = [*parts.consumers(db, settings), *calendar_listener(db, settings, parts)]
        refresher = schedules.ScheduleRefresher(db)
        await refresher.start()
        for runner in runners:
            await runner.start()
        app.state.consumers = runners
        deadline_worker = app.state.deadline_worker = None
        if parts.deadline_handlers and settings.run_deadlines:
            deadline_worker = DeadlineWorker(
                db, parts.deadline_handlers, poll_interval=settings.deadline_poll_interval_s
            )
            app.state.deadline_worker = deadline_worker
            await deadline_worker.start()
        if parts.on_startup:
            await parts.on_startup(app)
        # What exists now (modules, routes, models, the policy) lives as long as the app: out of the
        # cyclic collector's reach, a full collection walks only what requests leave behind. It walked
        # ~140k objects, ~60 ms with every request in flight stalled: the P3 benchmark's p99.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # collectable again once the app is gone (tests start many apps in one process)
            if parts.on_shutdown:
                await parts.on_shutdown(app)
            if deadline_worker:
                await deadline_worker.stop()
            await refresher.stop()
            for runner in runners:
                await runner.stop()
            if relay:
                await relay.stop()
            await db.dispose()

    return run


def install_openapi(app: FastAPI, settings: ServiceSettings) -> None:
    """The document, built once: problems, headers and the OAuth scheme declared the kit's way."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                webhooks=app.webhooks.routes,
                servers=servers(settings.service_name),
            )
            app.openapi_schema = oauth2_security_scheme(document_headers(document_problems(document)), settings)
        return app.openapi_schema

    # FastAPI's way to complete the document is to replace the method; mypy forbids assigning to one.
    app.openapi = openapi  # type: ignore[method-assign]
