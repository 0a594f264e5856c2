"""Every read query of the disputes service (writes go through the use cases in service.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.deadlines import Deadline
from newform_common.findings import Finding, FindingRef
from newform_common.pagination import PageParams, keyset
from newform_common.scope import visibility

from .models import Case, Complaint, MediationSession, Mediator
from .schemas import CasePublic, ClockPublic, ComplaintPublic, MediatorPublic, SessionPublic
from .service import arbitration_open_from, court_route_open, eligible_for_arbitration, open_cases_of


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


async def _clocks_and_findings(
    session: AsyncSession, subject_ids: list[str]
) -> tuple[dict[str, list[Deadline]], dict[str, list[FindingRef]]]:
    """The clocks and findings of many subjects in two queries (a page of complaints or cases)."""
    clocks: dict[str, list[Deadline]] = {s: [] for s in subject_ids}
    found: dict[str, list[FindingRef]] = {s: [] for s in subject_ids}
    if subject_ids:
        rows = await session.execute(
            select(Deadline).where(Deadline.subject_id.in_(subject_ids)).order_by(Deadline.created_at, Deadline.id)
        )
        for d in rows.scalars():
            clocks[d.subject_id].append(d)
        rows = await session.execute(select(Finding).where(Finding.subject_id.in_(subject_ids)).order_by(Finding.id))
        for f in rows.scalars():
            found[f.subject_id].append(FindingRef.model_validate(f))
    return clocks, found


async def complaint_views(
    session: AsyncSession, complaints: list[Complaint], principal: Principal, *, now: datetime | None = None
) -> list[ComplaintPublic]:
    clocks, found = await _clocks_and_findings(session, [c.id for c in complaints])
    views = []
    for complaint in complaints:
        view = ComplaintPublic.model_validate(complaint)
        view.clocks = [ClockPublic.of(d, now) for d in clocks[complaint.id]]
        view.findings = found[complaint.id]
        if complaint.identity_masked and principal.role in (Role.platform, Role.enterprise):
            view.worker_id = None  # retaliation protection (M10)
        views.append(view)
    return views


async def complaint_view(session: AsyncSession, complaint: Complaint, principal: Principal) -> ComplaintPublic:
    return (await complaint_views(session, [complaint], principal))[0]


async def cases(session: AsyncSession, principal: Principal, params: PageParams, *, stage: str | None) -> list[Case]:
    if principal.role == Role.mediator:
        condition = Case.mediator_id == principal.subject
    else:
        condition = visibility(principal).where(platform=Case.platform_id, worker=Case.worker_id)
    query = select(Case).where(condition)
    if stage is not None:
        query = query.where(Case.stage == stage)
    return list((await session.execute(keyset(query, Case.id, params))).scalars())


async def case_views(session: AsyncSession, cases: list[Case], *, now: datetime | None = None) -> list[CasePublic]:
    ids = [c.id for c in cases]
    clocks, found = await _clocks_and_findings(session, ids)
    sessions: dict[str, list[SessionPublic]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(
            select(MediationSession)
            .where(MediationSession.case_id.in_(ids))
            .order_by(MediationSession.held_on, MediationSession.id)
        )
        for s in rows.scalars():
            sessions[s.case_id].append(SessionPublic.model_validate(s))
    views = []
    for case in cases:
        view = CasePublic.model_validate(case)
        view.eligible_for_arbitration = eligible_for_arbitration(case)
        view.arbitration_open_from = arbitration_open_from(case)
        view.court_route_open = court_route_open(case, clocks[case.id])
        view.clocks = [ClockPublic.of(d, now) for d in clocks[case.id]]
        view.sessions, view.findings = sessions[case.id], found[case.id]
        views.append(view)
    return views


async def case_view(session: AsyncSession, case: Case) -> CasePublic:
    return (await case_views(session, [case]))[0]


async def mediators(
    session: AsyncSession, params: PageParams, *, active: bool | None, specialty: str | None, roster: str | None
) -> list[MediatorPublic]:
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
