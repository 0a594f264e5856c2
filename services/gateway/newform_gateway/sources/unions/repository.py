"""The unions slice's queries: writing a batch of each read model, and what the list and the page read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from newform_common import bulk
from newform_common.pagination import PageParams, keyset

from ..contracts.models import WorkerRegistration
from .models import UnionsCollectiveContract, UnionsConsultation, UnionsMembership, UnionsSubject


async def write_latest(session: AsyncSession, subjects: list[dict[str, Any]]) -> None:
    """Each subject's row becomes its latest event (the first event's time is kept)."""
    if subjects:
        update = [c for c in subjects[0] if c not in ("subject", "first_event_at")]
        await bulk.upsert(session, UnionsSubject, subjects, key=["subject"], update=update)


async def write_memberships(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await bulk.upsert(session, UnionsMembership, rows, key=["membership_id"])


async def write_consultations(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        keep = ("reply_due_on", "replied_on", "outcome", "concluded_on")
        await bulk.upsert(session, UnionsConsultation, rows, key=["consultation_id"], keep_when_null=keep)


async def write_contracts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        keep = [c for c in rows[0] if c not in ("collective_contract_id", "status", "updated_at")]
        await bulk.upsert(session, UnionsCollectiveContract, rows, key=["collective_contract_id"], keep_when_null=keep)


async def subjects_page(
    session: AsyncSession, params: PageParams, *, platform_id: str | None = None
) -> list[UnionsSubject]:
    """Subjects in their key's order from the cursor on, one beyond the page."""
    query = select(UnionsSubject)
    if platform_id is not None:
        query = query.where(UnionsSubject.platform_id == platform_id)
    return list((await session.scalars(keyset(query, UnionsSubject.subject, params))).all())


async def coverage(session: AsyncSession, limit: int) -> list[tuple[str, int, int]]:
    """(platform, active members who joined through it, its active registered workers), most members first."""
    members = (
        select(UnionsMembership.platform_id, func.count().label("members"))
        .where(UnionsMembership.status == "active", UnionsMembership.platform_id.is_not(None))  # type: ignore[union-attr]
        .group_by(UnionsMembership.platform_id)
        .subquery()
    )
    registered = (
        select(WorkerRegistration.platform_id, func.count(func.distinct(WorkerRegistration.worker_id)).label("n"))
        .where(WorkerRegistration.active.is_(True))  # type: ignore[attr-defined]
        .group_by(WorkerRegistration.platform_id)
        .subquery()
    )
    query = (
        select(members.c.platform_id, members.c.members, func.coalesce(registered.c.n, 0))
        .outerjoin(registered, registered.c.platform_id == members.c.platform_id)
        .order_by(members.c.members.desc(), members.c.platform_id)
        .limit(limit)
    )
    return [(str(p), int(m), int(r)) for p, m, r in (await session.execute(query)).all()]


async def contracts_in_force(session: AsyncSession, limit: int) -> list[UnionsCollectiveContract]:
    query = select(UnionsCollectiveContract).where(UnionsCollectiveContract.status == "in_force")
    query = query.order_by(UnionsCollectiveContract.in_force_on.desc(), UnionsCollectiveContract.collective_contract_id)  # type: ignore[union-attr]
    return list((await session.scalars(query.limit(limit))).all())


async def latest_consultations(session: AsyncSession, limit: int) -> list[UnionsConsultation]:
    query = select(UnionsConsultation).order_by(
        UnionsConsultation.requested_on.desc(),
        UnionsConsultation.consultation_id,  # type: ignore[attr-defined]
    )
    return list((await session.scalars(query.limit(limit))).all())


async def platform_figures(session: AsyncSession, platform_id: str) -> tuple[int, int]:
    """(active members who joined through the platform, collective contracts in force binding it)."""
    members = await session.scalar(
        select(func.count()).where(
            col(UnionsMembership.platform_id) == platform_id, col(UnionsMembership.status) == "active"
        )
    )
    in_force = await session.scalar(
        select(func.count()).where(
            col(UnionsCollectiveContract.status) == "in_force",
            col(UnionsCollectiveContract.platform_ids).contains([platform_id]),
        )
    )
    return int(members or 0), int(in_force or 0)
