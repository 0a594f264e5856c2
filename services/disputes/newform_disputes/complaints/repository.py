"""The complaints' queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.pagination import PageParams, keyset
from newform_common.scope import get_visible, visibility

from ..models import Complaint


async def visible_complaint(
    session: AsyncSession, principal: Principal, complaint_id: str, *, for_update: bool = False
) -> Complaint:
    """The complaint if the caller may see it (its worker, its platform, oversight); else 404."""
    return await get_visible(session, principal, Complaint, complaint_id, what="complaint", for_update=for_update)


async def complaint(session: AsyncSession, complaint_id: str) -> Complaint | None:
    return await session.get(Complaint, complaint_id)


async def lock_complaint(session: AsyncSession, complaint_id: str) -> Complaint | None:
    return await session.get(Complaint, complaint_id, with_for_update=True)


async def complaints(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None, category: str | None
) -> list[Complaint]:
    query = select(Complaint).where(
        visibility(principal).where(platform=Complaint.platform_id, worker=Complaint.worker_id)
    )
    if status is not None:
        query = query.where(Complaint.status == status)
    if category is not None:
        query = query.where(Complaint.category == category)
    return list((await session.execute(keyset(query, Complaint.id, params))).scalars())
