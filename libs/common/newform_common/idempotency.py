"""Idempotent creation: a retried POST with the same `Idempotency-Key` returns the first response.

The key is scoped to the caller's tenant and to the operation (`idempotency_scope`): the same key
sent by another platform, department or worker, or to another operation, is a new request and
learns nothing about the first. Within one scope the same key with a different body is a 422
problem; the same key racing itself is a 409. The stored response is written in the same
transaction as the state change, so a request either created its facts and remembered its answer,
or did neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from .auth import Principal
from .db import CommonModel
from .errors import PROBLEM_MEDIA_TYPE, Problem, Unprocessable
from .responses import FastJSONResponse

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyRecord(CommonModel, table=True):
    __tablename__ = "idempotency_keys"

    # Holds the scope (`idempotency_scope`), not only the caller: tenant and operation.
    principal: str = Field(primary_key=True, max_length=200)
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


@dataclass(frozen=True)
class IdempotentRequest:
    """A request that sent an `Idempotency-Key`: where its answer is stored and what it asked."""

    scope: str
    key: str
    operation: str
    request_hash: str

    def record(self, status_code: int, response: Any) -> IdempotencyRecord:
        return IdempotencyRecord(principal=self.scope, key=self.key, operation=self.operation,
                                 request_hash=self.request_hash, status_code=status_code, response=response)


def idempotent_request(request: Request, principal: Principal, payload: Any) -> IdempotentRequest | None:
    """The request's key, scope and hash; None without the header (422 for a key of a bad length)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise Unprocessable(f"{HEADER} must be 1 to 200 characters", slug="idempotency-key")
    route = request.scope.get("route")
    operation = f"{request.method} {getattr(route, 'path', request.url.path)}"
    return IdempotentRequest(scope=idempotency_scope(principal, operation), key=key, operation=operation,
                             request_hash=_hash(operation, {"path": request.url.path, "body": payload}))


def replay(asked: IdempotentRequest, stored: IdempotencyRecord) -> JSONResponse:
    """The stored answer to a retry; 422 when the key was used for a different request."""
    if stored.request_hash != asked.request_hash or stored.operation != asked.operation:
        raise Unprocessable(
            f"{HEADER} {asked.key!r} was already used for a different request", slug="idempotency-key-reuse"
        )
    media_type = PROBLEM_MEDIA_TYPE if stored.status_code >= 400 else None
    return FastJSONResponse(stored.response, status_code=stored.status_code,
                            headers={REPLAY_HEADER: "true"}, media_type=media_type)


def answer(request: Request, result: BaseModel | dict[str, Any] | Problem,
           status_code: int = 201) -> tuple[Any, int, str | None]:
    """(JSON body, status, media type) of what a use case produced, as sent and as stored."""
    if isinstance(result, Problem):
        # A refusal that is itself a fact (e.g. a duplicate claim kept as a fraud signal): what the
        # use case wrote commits, and the caller gets the problem, replayed like any answer.
        return result.body(request.url.path), result.status, PROBLEM_MEDIA_TYPE
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
