"""The case as its reader sees it: the row, its clocks (due at, days left), sessions and findings, and
the routes open to the worker now (arbitration, the court)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ..arbitration import rules as arbitration_rules
from ..models import Case
from ..repository import clocks_and_findings
from ..schemas import ClockPublic
from . import repository
from .schemas import CasePublic, SessionPublic


async def case_views(session: AsyncSession, cases: list[Case], *, now: datetime | None = None) -> list[CasePublic]:
    ids = [c.id for c in cases]
    clocks, found = await clocks_and_findings(session, ids)
    sessions = await repository.sessions_of(session, ids)
    views = []
    for case in cases:
        view = CasePublic.model_validate(case)
        view.eligible_for_arbitration = arbitration_rules.eligible_for_arbitration(case)
        view.arbitration_open_from = arbitration_rules.arbitration_open_from(case)
        view.court_route_open = arbitration_rules.court_route_open(case, clocks[case.id])
        view.clocks = [ClockPublic.of(d, now) for d in clocks[case.id]]
        view.sessions = [SessionPublic.model_validate(s) for s in sessions[case.id]]
        view.findings = found[case.id]
        views.append(view)
    return views


async def case_view(session: AsyncSession, case: Case) -> CasePublic:
    return (await case_views(session, [case]))[0]


async def acted(session: AsyncSession, case: Case) -> CasePublic:
    """The answer to an act on a case: its writes flushed, then the case as it stands."""
    await session.flush()
    return await case_view(session, case)
