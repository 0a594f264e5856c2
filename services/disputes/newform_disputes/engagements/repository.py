"""The engagements' queries: the batch upsert of the consumer and the lookup of one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Engagement


async def engagement(session: AsyncSession, contract_id: str) -> Engagement | None:
    return await session.get(Engagement, contract_id)


async def upsert_engagements(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One statement for a polled batch; an event without sector and district keeps the known ones."""
    statement = insert(Engagement).values(rows)
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Engagement.contract_id],
            set_={
                "worker_id": excluded.worker_id,
                "platform_id": excluded.platform_id,
                "enterprise_id": excluded.enterprise_id,
                "engagement_type": excluded.engagement_type,
                "status": excluded.status,
                "updated_at": excluded.updated_at,
                "occupation": func.coalesce(excluded.occupation, Engagement.occupation),
                "district": func.coalesce(excluded.district, Engagement.district),
            },
        )
    )
