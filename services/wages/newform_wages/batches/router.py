"""HTTP of batches: `GET /batches/{id}`, and what the upload endpoints of statements and sessions share
(the documented request body, reading the upload's lines, idempotency under the body's fingerprint,
a single line's errors as one problem)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import policy
from newform_common.app import SessionDep
from newform_common.auth import Principal
from newform_common.bulk import collector_paused
from newform_common.errors import Problem, Unprocessable, problem_responses
from newform_common.idempotency import idempotent

from .. import intake, rules
from ..routing import Reader
from . import repository as repo
from . import service
from .schemas import BatchPublic

router = APIRouter(prefix="/v1")

#: A use case that takes an upload's lines in: (session, platform id, lines, format) → the batch.
TakeIn = Callable[[AsyncSession, str, list[intake.RawLine], str], Awaitable[BatchPublic]]


def batch_body(line_model: type[BaseModel], csv_example: str, jsonl_example: str) -> dict[str, Any]:
    """The documented request body of an upload: JSON lines, CSV or JSON of `line_model`."""
    schema = {"$ref": f"#/components/schemas/{line_model.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": f"One JSON object per line ({line_model.__name__})"},
                    "example": jsonl_example,
                },
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "UTF-8 CSV with a header row; Chinese or English "
                        "column names (units in brackets such as (分) are ignored); deductions as "
                        "reason:fen;…, premium days as date:hours;…",
                    },
                    "example": csv_example,
                },
                "application/json": {
                    "schema": {"type": "object", "properties": {"lines": {"type": "array", "items": schema}}}
                },
            },
        }
    }


async def _read_batch(request: Request, headers: dict[str, str], on: date) -> tuple[bytes, str, list]:
    fmt = intake.format_of(request.headers.get("content-type"))
    body = await request.body()
    with collector_paused():  # up to 10,000 line objects at once (bulk.py says why)
        lines = intake.split(body, fmt, headers, rules.policy("wages.batch.max_lines", on))
    return body, fmt, lines


def _fingerprint(body: bytes, fmt: str) -> dict[str, str]:
    return {"format": fmt, "sha256": hashlib.sha256(body).hexdigest()}


async def upload(request: Request, session, principal: Principal, headers: dict[str, str], take_in: TakeIn):
    """A batch upload: its lines read, taken in by `take_in`, idempotent under the body's fingerprint."""
    body, fmt, lines = await _read_batch(request, headers, policy.business_today())

    async def produce():
        return await take_in(session, principal.platform_id, lines, fmt)

    return await idempotent(request, session, principal, _fingerprint(body, fmt), produce)


@router.get(
    "/batches/{batch_id}",
    tags=["statements", "sessions"],
    response_model=BatchPublic,
    responses=problem_responses(401, 403, 404),
    summary="A batch: status, counts and each bad line's error",
)
async def get_batch(batch_id: Annotated[str, Path(max_length=40)], session: SessionDep, principal: Reader):
    row = await repo.visible_batch(session, principal, batch_id)
    return service.batch_public(row)


def single_outcome(batch: BatchPublic) -> None:
    """A single line's errors as one problem: 503 when the policy is not loaded yet, else 422."""
    if not batch.errors or batch.accepted or batch.duplicates:
        return
    errors = [e.model_dump(exclude_none=True) for e in batch.errors]
    first = batch.errors[0]
    if first.type == "policy-not-in-force":
        raise Problem(
            first.message,
            status=503,
            slug="policy-not-in-force",
            title="Policy not in force",
            headers={"Retry-After": "3600"},
            errors=errors,
        )
    raise Unprocessable(
        f"{first.field}: {first.message}" if first.field else first.message,
        slug=first.type if first.type != "invalid-line" else "invalid-statement",
        measure=first.measure,
        rule=first.rule,
        errors=errors,
    )
