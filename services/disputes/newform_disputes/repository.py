"""Every read query of the disputes service (writes go through the use cases in service.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.auth import Principal, Role
from newform_common.findings import findings_of
from newform_common.pagination import PageParams, keyset
from newform_common.scope import visibility

from .models import Case, Complaint, MediationSession, Mediator
from .schemas import CasePublic, ClockPublic, ComplaintPublic, MediatorPublic, SessionPublic
from .service import eligible_for_arbitration, open_cases_of


async def complaints(session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None,
                     category: str | None) -> list[Complaint]:
    query = select(Complaint).where(visibility(principal).where(platform=Complaint.platform_id,
                                                                worker=Complaint.worker_id))
    if status is not None:
        query = query.where(Complaint.status == status)
    if category is not None:
        query = query.where(Complaint.category == category)
    return list((await session.execute(keyset(query, Complaint.id, params))).scalars())


async def complaint_view(session: AsyncSession, complaint: Complaint, principal: Principal, *,
                         now: datetime | None = None) -> ComplaintPublic:
    view = ComplaintPublic.model_validate(complaint)
    view.clocks = [ClockPublic.of(d, now) for d in await deadlines.of_subject(session, complaint.id)]
    view.findings = await findings_of(session, complaint.id)
    if complaint.identity_masked and principal.role in (Role.platform, Role.enterprise):
        view.worker_id = None  # retaliation protection (M10)
    return view


async def cases(session: AsyncSession, principal: Principal, params: PageParams, *, stage: str | None) -> list[Case]:
    if principal.role == Role.mediator:
        condition = Case.mediator_id == principal.subject
    else:
        condition = visibility(principal).where(platform=Case.platform_id, worker=Case.worker_id)
    query = select(Case).where(condition)
    if stage is not None:
        query = query.where(Case.stage == stage)
    return list((await session.execute(keyset(query, Case.id, params))).scalars())


async def case_view(session: AsyncSession, case: Case, *, now: datetime | None = None) -> CasePublic:
    view = CasePublic.model_validate(case)
    view.eligible_for_arbitration = eligible_for_arbitration(case)
    view.clocks = [ClockPublic.of(d, now) for d in await deadlines.of_subject(session, case.id)]
    sessions = await session.execute(select(MediationSession).where(MediationSession.case_id == case.id)
                                     .order_by(MediationSession.held_on, MediationSession.id))
    view.sessions = [SessionPublic.model_validate(s) for s in sessions.scalars()]
    view.findings = await findings_of(session, case.id)
    return view


async def mediators(session: AsyncSession, params: PageParams, *, active: bool | None, specialty: str | None,
                    roster: str | None) -> list[MediatorPublic]:
    query = select(Mediator)
    if active is not None:
        query = query.where(Mediator.active == active)
    if specialty is not None:
        query = query.where(Mediator.specialties.contains([specialty]))
    if roster is not None:
        query = query.where(Mediator.rosters.contains([roster]))
    rows = list((await session.execute(keyset(query, Mediator.id, params))).scalars())
    return await mediator_views(session, rows)


async def mediator_views(session: AsyncSession, rows: list[Mediator]) -> list[MediatorPublic]:
    load = await open_cases_of(session, [m.id for m in rows])
    views = [MediatorPublic.model_validate(m) for m in rows]
    for view in views:
        view.open_cases = load.get(view.mediator_id, 0)
    return views
