"""The queries on workers (one row per person) and their registrations (one per platform)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.auth import Principal
from newform_common.pagination import PageParams
from newform_common.scope import get_visible

from ..models import Registration, Worker
from ..repository import visible_page


async def worker(session: AsyncSession, worker_id: str) -> Worker | None:
    return await session.get(Worker, worker_id)


async def add_worker(session: AsyncSession, row: dict[str, Any]) -> None:
    """The person's row, unless a concurrent registration stored it first (then that one is kept)."""
    await bulk.insert_new(session, Worker, [row], key=["worker_id"])


async def visible_registration(
    session: AsyncSession, principal: Principal, registration_id: str, *, for_update: bool = False
) -> Registration:
    return await get_visible(
        session, principal, Registration, registration_id, what="worker registration", for_update=for_update
    )


async def registration_for_update(session: AsyncSession, registration_id: str) -> Registration | None:
    return await session.get(Registration, registration_id, with_for_update=True)


async def registration_id_of(session: AsyncSession, worker_id: str, platform_id: str) -> str | None:
    return await session.scalar(
        select(Registration.id).where(Registration.worker_id == worker_id, Registration.platform_id == platform_id)
    )


async def registrations(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, worker_id: str | None
) -> list[Registration]:
    return await visible_page(session, Registration, principal, params, platform_id, worker_id=worker_id)
