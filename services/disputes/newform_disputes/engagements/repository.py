"""The engagements' queries: the batch upsert of the consumer and the lookup of one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk

from ..models import Engagement


async def engagement(session: AsyncSession, contract_id: str) -> Engagement | None:
    return await session.get(Engagement, contract_id)


async def upsert_engagements(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One statement for a polled batch; an event without sector and district keeps the known ones. The
    kit's prepared `unnest` upsert: SQLAlchemy compiling a multi-row insert per batch was 11% of this
    consumer's CPU (py-spy, full-stack P3)."""
    await bulk.upsert(session, Engagement, rows, key=["contract_id"], keep_when_null=["occupation", "district"])
