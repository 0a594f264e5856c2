"""Arbitration's and the court route's HTTP routes (tag `arbitration`): parse, authorise, call the use
case, shape the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent

from ..cases import repository as cases_repository
from ..cases.schemas import Acceptance, CasePublic
from ..cases.views import acted
from ..shared import ARBITRATION_BODIES, require_body
from . import service
from .schemas import (
    ArbitrationApplication,
    ArbitrationExtension,
    ArbitrationRefusal,
    ArbitrationRestart,
    Award,
    ClockPause,
)

router = APIRouter(prefix="/v1")

CaseId = Annotated[str, Path(max_length=64)]
ACT = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "/cases/{case_id}/arbitration",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="The worker applies for labour arbitration (limitation checked, interruptions counted): "
    "after withdrawal, without agreement, or 15 days after the mediation body received "
    "the application (art. 14)",
    **HONOURS_KEY,
)
async def apply_for_arbitration(
    case_id: CaseId,
    body: ArbitrationApplication,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.worker)],
):
    async def produce():
        case = await cases_repository.visible_case(session, principal, case_id, for_update=True)
        return await acted(session, await service.apply_for_arbitration(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/court-referral",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="To the court: a work agreement or civil dispute; a refused or undecided arbitration "
    "application (art. 29); an overdue award (art. 43)",
    **HONOURS_KEY,
)
async def refer_to_court(
    case_id: CaseId, request: Request, session: SessionDep, principal: Annotated[Principal, require(Role.worker)]
):
    async def produce():
        case = await cases_repository.visible_case(session, principal, case_id, for_update=True)
        return await acted(session, await service.refer_to_court(session, case))

    return await idempotent(request, session, principal, None, produce, status_code=200)


async def _arbitration_case(session, case_id: str, principal: Principal):
    require_body(principal, ARBITRATION_BODIES)
    return await cases_repository.visible_case(session, principal, case_id, for_update=True)


ARBITRATORS = (Role.department, Role.admin)


@router.post(
    "/cases/{case_id}/arbitration/acceptance",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="The arbitration committee accepts: the award limit starts",
    **HONOURS_KEY,
)
async def accept_arbitration(
    case_id: CaseId,
    body: Acceptance,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ARBITRATORS)],
):
    async def produce():
        case = await _arbitration_case(session, case_id, principal)
        return await acted(session, await service.accept_arbitration(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/arbitration/refusal",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="The arbitration committee refuses the application in writing (不予受理, "
    "art. 29): no breach when in time; the court route opens",
    **HONOURS_KEY,
)
async def refuse_arbitration(
    case_id: CaseId,
    body: ArbitrationRefusal,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ARBITRATORS)],
):
    async def produce():
        case = await _arbitration_case(session, case_id, principal)
        return await acted(session, await service.refuse_arbitration(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/arbitration/extension",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="Extend the award limit once (written approval)",
    **HONOURS_KEY,
)
async def extend_award_limit(
    case_id: CaseId,
    body: ArbitrationExtension,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ARBITRATORS)],
):
    async def produce():
        case = await _arbitration_case(session, case_id, principal)
        return await acted(session, await service.extend_award_limit(session, case, body.days))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/arbitration/suspension",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="Suspend the arbitration: the award clock stops",
    **HONOURS_KEY,
)
async def suspend_arbitration(
    case_id: CaseId,
    body: ClockPause,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ARBITRATORS)],
):
    async def produce():
        case = await _arbitration_case(session, case_id, principal)
        return await acted(session, await service.suspend(session, case, body.at))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/arbitration/resumption",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="Resume the arbitration: the award clock runs on with its remaining time",
    **HONOURS_KEY,
)
async def resume_arbitration(
    case_id: CaseId,
    body: ClockPause,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ARBITRATORS)],
):
    async def produce():
        case = await _arbitration_case(session, case_id, principal)
        return await acted(session, await service.resume(session, case, body.at))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/arbitration/restart",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="Claims changed or a party added: the award limit runs afresh from that day",
    **HONOURS_KEY,
)
async def restart_award_clock(
    case_id: CaseId,
    body: ArbitrationRestart,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ARBITRATORS)],
):
    async def produce():
        case = await _arbitration_case(session, case_id, principal)
        return await acted(session, await service.restart_award_clock(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/arbitration/award",
    tags=["arbitration"],
    response_model=CasePublic,
    responses=ACT,
    summary="The award, item by item: final for the employer per art. 47 (each awarded amount up to 12 "
    "months of minimum wage; working hours, rest, social insurance of any amount)",
    **HONOURS_KEY,
)
async def award(
    case_id: CaseId,
    body: Award,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ARBITRATORS)],
):
    async def produce():
        case = await _arbitration_case(session, case_id, principal)
        return await acted(session, await service.award(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)
