"""Idempotent creation: a retried POST with the same `Idempotency-Key` returns the first response.

The key is scoped to the caller. The stored response is written in the same transaction as the
state change, so a request either created its facts and remembered its answer, or did neither.
Same key with a different body is a 422 problem; the same key racing itself is a 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
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
from .errors import Unprocessable
from .responses import FastJSONResponse

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyRecord(CommonModel, table=True):
    __tablename__ = "idempotency_keys"

    principal: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=200)
    operation: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: Any = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )


def _hash(operation: str, payload: Any) -> str:
    canonical = json.dumps(jsonable_encoder(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


async def idempotent(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    payload: Any,
    produce: Callable[[], Awaitable[BaseModel | dict[str, Any]]],
    *,
    status_code: int = 201,
) -> JSONResponse:
    """Run `produce` once per (caller, Idempotency-Key); replay its response on a retry.

    Without the header the request simply runs (the key is recommended, not forced, so that
    hand-written calls still work; the OpenAPI document says so).
    """
    key = request.headers.get(HEADER)
    route = request.scope.get("route")
    operation = f"{request.method} {getattr(route, 'path', request.url.path)}"
    if key is not None:
        if not 1 <= len(key) <= 200:
            raise Unprocessable(f"{HEADER} must be 1 to 200 characters", slug="idempotency-key")
        request_hash = _hash(operation, {"path": request.url.path, "body": payload})
        stored = await session.get(IdempotencyRecord, (principal.key, key))
        if stored is not None:
            if stored.request_hash != request_hash or stored.operation != operation:
                raise Unprocessable(
                    f"{HEADER} {key!r} was already used for a different request", slug="idempotency-key-reuse"
                )
            return FastJSONResponse(stored.response, status_code=stored.status_code, headers={REPLAY_HEADER: "true"})
    result = await produce()
    body = result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel) else jsonable_encoder(result)
    if key is not None:
        session.add(IdempotencyRecord(principal=principal.key, key=key, operation=operation,
                                      request_hash=request_hash, status_code=status_code, response=body))
    return FastJSONResponse(body, status_code=status_code)

