"""The cases' and mediation sessions' queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import NotFound
from newform_common.pagination import PageParams, keyset
from newform_common.scope import visibility

from ..models import Case, MediationSession


async def visible_case(session: AsyncSession, principal: Principal, case_id: str, *, for_update: bool = False) -> Case:
    """A case in the caller's view: parties, oversight, and the mediator assigned to it; else 404."""
    case = await session.get(Case, case_id, with_for_update=for_update or None)
    if case is not None:
        if principal.role == Role.mediator:
            if case.mediator_id is not None and case.mediator_id == principal.subject:
                return case
        elif visibility(principal).allows(platform_id=case.platform_id, worker_id=case.worker_id):
            return case
    raise NotFound(f"No case {case_id!r}")


async def lock_case(session: AsyncSession, case_id: str) -> Case | None:
    return await session.get(Case, case_id, with_for_update=True)


async def cases(session: AsyncSession, principal: Principal, params: PageParams, *, stage: str | None) -> list[Case]:
    if principal.role == Role.mediator:
        condition = Case.mediator_id == principal.subject
    else:
        condition = visibility(principal).where(platform=Case.platform_id, worker=Case.worker_id)
    query = select(Case).where(condition)
    if stage is not None:
        query = query.where(Case.stage == stage)
    return list((await session.execute(keyset(query, Case.id, params))).scalars())


async def sessions_of(session: AsyncSession, case_ids: list[str]) -> dict[str, list[MediationSession]]:
    """The mediation sessions of many cases in one query, in the order they were held."""
    found: dict[str, list[MediationSession]] = {i: [] for i in case_ids}
    if case_ids:
        rows = await session.execute(
            select(MediationSession)
            .where(MediationSession.case_id.in_(case_ids))
            .order_by(MediationSession.held_on, MediationSession.id)
        )
        for s in rows.scalars():
            found[s.case_id].append(s)
    return found
