"""The roster's queries: mediators, and the open mediations they carry."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.pagination import PageParams, keyset

from ..models import OPEN_MEDIATION, Case, Mediator


async def mediator(session: AsyncSession, mediator_id: str, *, for_update: bool = False) -> Mediator | None:
    return await session.get(Mediator, mediator_id, with_for_update=for_update or None)


async def mediators(
    session: AsyncSession, params: PageParams, *, active: bool | None, specialty: str | None, roster: str | None
) -> list[Mediator]:
    query = select(Mediator)
    if active is not None:
        query = query.where(Mediator.active == active)
    if specialty is not None:
        query = query.where(Mediator.specialties.contains([specialty]))
    if roster is not None:
        query = query.where(Mediator.rosters.contains([roster]))
    return list((await session.execute(keyset(query, Mediator.id, params))).scalars())


async def active_mediators(session: AsyncSession) -> list[Mediator]:
    return list((await session.execute(select(Mediator).where(Mediator.active))).scalars())


async def open_cases_of(session: AsyncSession, mediator_ids: Sequence[str]) -> dict[str, int]:
    """Each mediator's load: their open mediations."""
    if not mediator_ids:
        return {}
    rows = await session.execute(
        select(Case.mediator_id, func.count())
        .where(Case.mediator_id.in_(list(mediator_ids)), Case.stage.in_(OPEN_MEDIATION))
        .group_by(Case.mediator_id)
    )
    return {mediator: count for mediator, count in rows.all()}


async def open_cases_assigned(session: AsyncSession, mediator_id: str) -> list[Case]:
    """The open mediations a mediator carries, locked, in id order."""
    rows = await session.execute(
        select(Case)
        .where(Case.mediator_id == mediator_id, Case.stage.in_(OPEN_MEDIATION))
        .order_by(Case.id)
        .with_for_update()
    )
    return list(rows.scalars().all())
