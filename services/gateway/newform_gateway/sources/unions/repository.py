"""The unions slice's queries: writing a batch of each read model, and what the list and the page read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
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


def _members() -> Any:
    """Workers holding an active membership of any union (one per person: unions refuses a second)."""
    return (
        select(UnionsMembership.worker_id)
        .where(col(UnionsMembership.status) == "active", col(UnionsMembership.worker_id).is_not(None))
        .distinct()
        .subquery("members")
    )


def _worker_districts() -> Any:
    """Each registered worker once, in the residence district of their latest active registration."""
    return (
        select(WorkerRegistration.worker_id, WorkerRegistration.residence_district.label("district"))  # type: ignore[union-attr]
        .where(col(WorkerRegistration.active).is_(True))
        .ext(distinct_on(WorkerRegistration.worker_id))
        .order_by(
            WorkerRegistration.worker_id,
            col(WorkerRegistration.registered_at).desc().nulls_last(),
            col(WorkerRegistration.registration_id).desc(),
        )
        .subquery("workers")
    )


async def coverage_by_district(session: AsyncSession, district: str | None = None) -> list[tuple[str | None, int, int]]:
    """(district or None when unknown, members, registered workers) — each registered worker in one district.
    The definition is the one of `newform_unions.rules.union_coverage` (services/unions): change both."""
    workers, members = _worker_districts(), _members()
    query = (
        select(workers.c.district, func.count(members.c.worker_id), func.count())
        .select_from(workers)
        .outerjoin(members, members.c.worker_id == workers.c.worker_id)
        .group_by(workers.c.district)
        .order_by(workers.c.district.nulls_last())
    )
    if district is not None:
        query = query.where(workers.c.district == district)
    return [(d, int(m), int(r)) for d, m, r in (await session.execute(query)).all()]


async def coverage_by_platform(
    session: AsyncSession, *, district: str | None = None, platform_id: str | None = None
) -> list[tuple[str, int, int]]:
    """(platform, members among its registered workers, its registered workers), optionally only the workers
    of one district (as `coverage_by_district` places them) or one platform; by platform. The definition is
    the one of `newform_unions.rules.union_coverage` (services/unions): change both."""
    members = _members()
    reg = WorkerRegistration
    query = (
        select(
            reg.platform_id,
            func.count(func.distinct(members.c.worker_id)),
            func.count(func.distinct(reg.worker_id)),
        )
        .select_from(reg)
        .outerjoin(members, members.c.worker_id == reg.worker_id)
        .where(col(reg.active).is_(True))
        .group_by(reg.platform_id)
        .order_by(reg.platform_id)
    )
    if district is not None:
        workers = _worker_districts()
        query = query.where(col(reg.worker_id).in_(select(workers.c.worker_id).where(workers.c.district == district)))
    if platform_id is not None:
        query = query.where(reg.platform_id == platform_id)
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


async def collective_contracts_in_force(session: AsyncSession, platform_id: str) -> int:
    """Collective contracts in force binding the platform (the scorecards' democratic-consultation column)."""
    in_force = await session.scalar(
        select(func.count()).where(
            col(UnionsCollectiveContract.status) == "in_force",
            col(UnionsCollectiveContract.platform_ids).contains([platform_id]),
        )
    )
    return int(in_force or 0)
