"""Queries of the batches table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.scope import get_visible

from .models import Batch, BatchStatus


async def open_batch(session: AsyncSession, batch: dict[str, Any]) -> None:
    """Store a batch being processed (its counts zero until it completes)."""
    await session.execute(
        text(
            "insert into batches (id, platform_id, kind, format, status, line_count, accepted, duplicates, rejected, "
            "pending, findings, errors, created_at) values (:id, :platform_id, :kind, :format, :status, :line_count, "
            "0, 0, 0, 0, 0, '[]', :created_at)"
        ),
        batch,
    )


async def complete_batch(
    session: AsyncSession,
    batch_id: str,
    *,
    accepted: int,
    duplicates: int,
    rejected: int,
    pending: int,
    findings: int,
    errors: list[dict[str, Any]],
    now: datetime,
) -> None:
    """A batch's counts and errors, completed."""
    await session.execute(
        text(
            f"update batches set status = '{BatchStatus.completed}', accepted = :accepted, duplicates = :duplicates, "
            "rejected = :rejected, pending = :pending, findings = :findings, errors = cast(:errors as jsonb), "
            "completed_at = :now where id = :id"
        ),
        {
            "accepted": accepted,
            "duplicates": duplicates,
            "rejected": rejected,
            "pending": pending,
            "findings": findings,
            "errors": orjson.dumps(errors).decode(),
            "now": now,
            "id": batch_id,
        },
    )


async def visible_batch(session: AsyncSession, principal: Principal, batch_id: str) -> dict[str, Any]:
    """A batch the caller may see (its platform, oversight), else 404."""
    return (await get_visible(session, principal, Batch, batch_id, what="batch")).model_dump()
