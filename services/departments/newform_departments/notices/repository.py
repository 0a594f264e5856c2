"""Every query of notices and of the copy of workers' registrations."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from newform_common import bulk

from .models import Notice, WorkerRegistration


async def notice(session: AsyncSession, notice_id: str, *, for_update: bool = False) -> Notice | None:
    query = select(Notice).where(Notice.id == notice_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def by_reference(session: AsyncSession, publisher: str, reference: str) -> Notice | None:
    query = select(Notice).where(Notice.publisher == publisher, Notice.reference == reference).with_for_update()
    return (await session.scalars(query)).first()


async def valid_on(session: AsyncSession, day: date) -> list[Notice]:
    """Notices valid on `day`, newest first (a city publishes hundreds: targeting is judged in Python)."""
    query = (
        select(Notice)
        .where(col(Notice.valid_from) <= day, or_(col(Notice.valid_until).is_(None), col(Notice.valid_until) >= day))
        .order_by(col(Notice.valid_from).desc(), col(Notice.id).desc())
    )
    return list((await session.scalars(query)).all())


async def published(session: AsyncSession, publisher: str | None, limit: int) -> list[Notice]:
    query = select(Notice).order_by(col(Notice.updated_at).desc(), col(Notice.id).desc()).limit(limit)
    if publisher is not None:
        query = query.where(Notice.publisher == publisher)
    return list((await session.scalars(query)).all())


async def active_registrations(session: AsyncSession, worker_id: str) -> list[WorkerRegistration]:
    """A worker's active registrations, latest first."""
    query = (
        select(WorkerRegistration)
        .where(WorkerRegistration.worker_id == worker_id, col(WorkerRegistration.active).is_(True))
        .order_by(col(WorkerRegistration.registered_at).desc(), col(WorkerRegistration.registration_id).desc())
    )
    return list((await session.scalars(query)).all())


async def save_registrations(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        keep = ["worker_id", "platform_id", "occupation", "residence_district", "registered_at"]
        await bulk.upsert(session, WorkerRegistration, rows, key=["registration_id"], update=keep)


async def cancel_registrations(session: AsyncSession, worker_id: str, platform_id: str, restriction_id: str) -> None:
    await session.execute(
        update(WorkerRegistration)
        .where(
            WorkerRegistration.worker_id == worker_id,
            WorkerRegistration.platform_id == platform_id,
            col(WorkerRegistration.active).is_(True),
        )
        .values(active=False, cancelled_by=restriction_id)
    )


async def lift_cancellation(session: AsyncSession, restriction_id: str) -> None:
    await session.execute(
        update(WorkerRegistration)
        .where(WorkerRegistration.cancelled_by == restriction_id)
        .values(active=True, cancelled_by=None)
    )
