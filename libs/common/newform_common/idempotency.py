"""Idempotent creation: a retried POST with the same `Idempotency-Key` returns the first response.

The key is scoped to the caller's tenant and to the operation (`idempotency_scope`): the same key
sent by another platform, department or worker, or to another operation, is a new request and
learns nothing about the first. Within one scope the same key with a different body is a 422
problem; the same key racing itself is a 409. The stored response is written in the same
transaction as the state change, so a request either created its facts and remembered its answer,
or did neither.

At rest only a keyed hash of the key is kept (HMAC-SHA256 under a key derived from the service's
PII secret, over scope and key): a caller may use an ID number or a phone number as its key, and a
plain hash of an 18-digit ID number is reversed by enumeration. Records are purged once older than
the retention (`IDEMPOTENCY_RETENTION_HOURS`, default 168 = 7 days: a retry after a weekend's outage
still replays; see README's configuration table) by a small background task every service runs
(`install_purge`), in batches so that the purge never holds long locks.

Operations that honour the header carry `**HONOURS_KEY` (an OpenAPI extension the document builder
reads and removes): the header is declared on them and on every POST answering 201.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from .auth import Principal
from .db import CommonModel
from .errors import PROBLEM_MEDIA_TYPE, Problem, Unprocessable
from .redaction import mask_id_numbers
from .responses import FastJSONResponse

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
# Marks a route that honours the header (`@router.post(..., **HONOURS_KEY)`), so that OpenAPI declares it.
HONOURS_KEY_EXTENSION = "x-honours-idempotency-key"
HONOURS_KEY: dict[str, Any] = {"openapi_extra": {HONOURS_KEY_EXTENSION: True}}

RETENTION_ENV = "IDEMPOTENCY_RETENTION_HOURS"
DEFAULT_RETENTION_HOURS = 168
PURGE_INTERVAL_ENV = "IDEMPOTENCY_PURGE_INTERVAL_S"
PURGE_BATCH = 1000
_KEY_HASH_PREFIX = "h1:"  # the form of the stored key; a new form would get a new prefix


def retention(environ: dict[str, str] | None = None) -> timedelta:
    """How long an answer stays replayable (and its record kept)."""
    env = os.environ if environ is None else environ
    hours = float(env.get(RETENTION_ENV) or DEFAULT_RETENTION_HOURS)
    if hours <= 0:
        raise ValueError(f"{RETENTION_ENV} must be positive")
    return timedelta(hours=hours)


class IdempotencyRecord(CommonModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)  # the purge's scan

    # Holds the scope (`idempotency_scope`), not only the caller: tenant and operation.
    principal: str = Field(primary_key=True, max_length=200)
    # `stored_key`: a keyed hash of the caller's key, never the key itself.
    key: str = Field(primary_key=True, max_length=200)
    operation: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: Any = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )


def tenant_of(principal: Principal) -> str:
    """Whose data a request acts on: the platform for platform and enterprise tokens (every backend
    of a platform shares its keys; different platforms never do, even with the same token subject),
    the department for department tokens — with its district, so that the seven district governments
    (all `county`) never share keys or replay each other's answers — the worker for a worker's own
    token, otherwise the role and subject (regulator, admin, channels)."""
    if principal.platform_id and principal.role in ("platform", "enterprise"):
        return f"tenant:{principal.platform_id}"
    if principal.department and principal.role == "department":
        if principal.district:
            return f"department:{principal.department}:{principal.district}"
        return f"department:{principal.department}"
    if principal.role == "worker":
        return f"worker:{principal.subject}"
    return principal.key


def idempotency_scope(principal: Principal, operation: str) -> str:
    """The stored `principal` value: tenant + operation, hashed if it would not fit the column."""
    scope = f"{tenant_of(principal)}|{operation}"
    if len(scope) > 200:
        scope = "sha256:" + hashlib.sha256(scope.encode()).hexdigest()
    return scope


def _hash(operation: str, payload: Any) -> str:
    canonical = json.dumps(jsonable_encoder(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


@cache
def _key_secret(pii_secret: str) -> bytes:
    # Its own key, derived from the PII master secret: never the secret itself, never another use's key.
    return hmac.new(pii_secret.encode(), b"newform idempotency-key v1", hashlib.sha256).digest()


def stored_key(secret: str, scope: str, key: str) -> str:
    """What is kept of a caller's key: HMAC-SHA256 over scope and key, under the service's secret."""
    digest = hmac.new(_key_secret(secret), f"{scope}\n{key}".encode(), hashlib.sha256).hexdigest()
    return _KEY_HASH_PREFIX + digest


def _secret_of(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    secret: str | None = getattr(settings, "pii_secret", None)
    if not secret:  # a bare app (the kit's own tests): still never the clear key
        return "newform-idempotency-without-settings"
    return secret


@dataclass(frozen=True)
class IdempotentRequest:
    """A request that sent an `Idempotency-Key`: where its answer is stored and what it asked.
    `key` is the stored form (a keyed hash); the key as sent is not kept beyond the request."""

    scope: str
    key: str
    operation: str
    request_hash: str
    sent: str = field(default="", repr=False, compare=False)

    def record(self, status_code: int, response: Any) -> IdempotencyRecord:
        # created_at is left to the database (server_default now()); sqlmodel's constructor signature
        # knows no server defaults and asks for every field without a Python default.
        return IdempotencyRecord(  # type: ignore[call-arg]
            principal=self.scope,
            key=self.key,
            operation=self.operation,
            request_hash=self.request_hash,
            status_code=status_code,
            response=response,
        )


def idempotent_request(request: Request, principal: Principal, payload: Any) -> IdempotentRequest | None:
    """The request's key, scope and hash; None without the header (422 for a key of a bad length)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise Unprocessable(f"{HEADER} must be 1 to 200 characters", slug="idempotency-key")
    route = request.scope.get("route")
    operation = f"{request.method} {getattr(route, 'path', request.url.path)}"
    scope = idempotency_scope(principal, operation)
    return IdempotentRequest(
        scope=scope,
        key=stored_key(_secret_of(request), scope, key),
        operation=operation,
        request_hash=_hash(operation, {"path": request.url.path, "body": payload}),
        sent=key,
    )


def replay(asked: IdempotentRequest, stored: IdempotencyRecord) -> JSONResponse:
    """The stored answer to a retry; 422 when the key was used for a different request."""
    if stored.request_hash != asked.request_hash or stored.operation != asked.operation:
        raise Unprocessable(f"This {HEADER} was already used for a different request", slug="idempotency-key-reuse")
    media_type = PROBLEM_MEDIA_TYPE if stored.status_code >= 400 else None
    return FastJSONResponse(
        stored.response, status_code=stored.status_code, headers={REPLAY_HEADER: "true"}, media_type=media_type
    )


def answer(
    request: Request, result: BaseModel | dict[str, Any] | Problem, status_code: int = 201
) -> tuple[Any, int, str | None]:
    """(JSON body, status, media type) of what a use case produced, as sent and as stored."""
    if isinstance(result, Problem):
        # A refusal that is itself a fact (e.g. a duplicate claim kept as a fraud signal): what the
        # use case wrote commits, and the caller gets the problem, replayed like any answer.
        return result.body(mask_id_numbers(request.url.path)), result.status, PROBLEM_MEDIA_TYPE
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True), status_code, None
    return jsonable_encoder(result), status_code, None


async def idempotent(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    payload: Any,
    produce: Callable[[], Awaitable[BaseModel | dict[str, Any] | Problem]],
    *,
    status_code: int = 201,
) -> JSONResponse:
    """Run `produce` once per (tenant, operation, Idempotency-Key); replay its response on a retry.

    Without the header the request simply runs (the key is recommended, not forced, so that
    hand-written calls still work; the OpenAPI document says so).
    """
    asked = idempotent_request(request, principal, payload)
    if asked is not None:
        stored = await session.get(IdempotencyRecord, (asked.scope, asked.key))
        if stored is not None:
            return replay(asked, stored)
    body, status_code, media_type = answer(request, await produce(), status_code)
    if asked is not None:
        session.add(asked.record(status_code, body))
    return FastJSONResponse(body, status_code=status_code, media_type=media_type)


async def purge_expired(db: Any, keep: timedelta | None = None, *, batch: int = PURGE_BATCH) -> int:
    """Delete the records older than the retention, `batch` rows per transaction (short locks, no long
    scan holding up the writers); returns how many went. Rows another replica is purging are skipped."""
    keep = keep or retention()
    removed = 0
    while True:
        async with db.sessions() as session:
            result = await session.execute(
                text(
                    "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY("
                    " SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => :keep)"
                    " LIMIT :batch FOR UPDATE SKIP LOCKED))"
                ),
                {"keep": keep.total_seconds(), "batch": batch},
            )
            await session.commit()
        removed += result.rowcount or 0
        if (result.rowcount or 0) < batch:
            return removed


class IdempotencyPurger:
    """Runs `purge_expired` at start and then every `interval` seconds until stopped."""

    def __init__(self, db: Any, *, keep: timedelta | None = None, interval: float | None = None):
        self.db = db
        self.keep = keep or retention()
        self.interval = interval if interval is not None else float(os.environ.get(PURGE_INTERVAL_ENV) or 3600)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="idempotency-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                removed = await purge_expired(self.db, self.keep)
                if removed:
                    log.info("purged %d idempotency records older than %s", removed, self.keep)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be down: the next round tries again
                log.warning("idempotency purge failed; retrying in %.0f s", self.interval, exc_info=True)
            await asyncio.sleep(self.interval)


def install_purge(app: FastAPI) -> None:
    """Run the purge for as long as the app's lifespan (after its database is up)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: FastAPI) -> AsyncIterator[Any]:
        async with inner(asgi_app) as state:
            purger = IdempotencyPurger(asgi_app.state.db)
            await purger.start()
            try:
                yield state
            finally:
                await purger.stop()

    app.router.lifespan_context = lifespan
