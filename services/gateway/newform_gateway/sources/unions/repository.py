"""The unions slice's queries: writing a batch of each read model, and what the list and the page read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.pagination import PageParams, keyset

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


# Coverage reads the read model migration 0007_union_coverage keeps with the registrations and memberships (the
# definition is the module docstring of service.py): per (district, platform) the registered workers and the
# members among them; platform '' counts each worker once, in the district of their latest active registration.
_BY_DISTRICT = text(
    "select district, members, registered from union_coverage_counts "
    "where platform_id = '' and (cast(:district as text) is null or district = :district) "
    "order by district nulls last"
)
_BY_PLATFORM = text(
    "select platform_id, sum(members), sum(registered) from union_coverage_counts where platform_id <> '' "
    "and (cast(:district as text) is null or district = :district) "
    "and (cast(:platform as text) is null or platform_id = :platform) "
    "group by platform_id order by platform_id"
)


async def coverage_by_district(session: AsyncSession, district: str | None = None) -> list[tuple[str | None, int, int]]:
    """(district or None when unknown, members, registered workers) — each registered worker in one district.
    The definition is the one of `newform_unions.rules.union_coverage` (services/unions): change both."""
    rows = await session.execute(_BY_DISTRICT, {"district": district})
    return [(d, int(m), int(r)) for d, m, r in rows.all()]


async def coverage_by_platform(
    session: AsyncSession, *, district: str | None = None, platform_id: str | None = None
) -> list[tuple[str, int, int]]:
    """(platform, members among its registered workers, its registered workers), optionally only the workers
    of one district (as `coverage_by_district` places them) or one platform; by platform. The definition is
    the one of `newform_unions.rules.union_coverage` (services/unions): change both."""
    rows = await session.execute(_BY_PLATFORM, {"district": district, "platform": platform_id})
    return [(str(p), int(m), int(r)) for p, m, r in rows.all()]


async def registered_workers_by_district(session: AsyncSession) -> dict[str | None, int]:
    """Registered workers per district (None: unknown), each once — coverage's districts (rest stations, M14)."""
    return {d: r for d, _, r in await coverage_by_district(session)}


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


async def collective_contracts_in_force_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, int]:
    """{platform: collective contracts in force binding it} (the scorecards' democratic-consultation column),
    each contract once per platform it names."""
    rows = await session.execute(
        text(
            "select p, count(distinct c.collective_contract_id) from unions_collective_contracts c "
            "cross join lateral jsonb_array_elements_text(c.platform_ids) as named(p) "
            "where c.status = 'in_force' and jsonb_typeof(c.platform_ids) = 'array' and p = any(:ids) group by 1"
        ),
        {"ids": platform_ids},
    )
    found = {platform_id: int(n) for platform_id, n in rows}
    return {p: found.get(p, 0) for p in platform_ids}
