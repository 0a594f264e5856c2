"""Cases' HTTP routes (tag `cases`: opening and mediation): parse, authorise, call the use case, shape
the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params

from ..shared import MEDIATION_BODIES, require_body
from . import opening, repository, service
from .schemas import (
    Acceptance,
    Assignment,
    CaseCreate,
    CasePublic,
    Fulfilment,
    MediationExtension,
    Outcome,
    SessionCreate,
)
from .views import acted, case_view, case_views

router = APIRouter(prefix="/v1")

READERS = (Role.worker, Role.platform, Role.enterprise, Role.department, Role.regulator, Role.admin)
CASE_READERS = (*READERS, Role.mediator)
CaseId = Annotated[str, Path(max_length=64)]
ACT = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "/cases",
    tags=["cases"],
    status_code=201,
    response_model=CasePublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="A worker applies for mediation (received_on: the day the body received it), or for "
    "arbitration without mediation (`arbitration`, M18; mediation is voluntary, art. 5)",
)
async def open_case(
    body: CaseCreate, request: Request, session: SessionDep, principal: Annotated[Principal, require(Role.worker)]
):
    async def produce() -> CasePublic:
        case, _ = await opening.open_case(session, principal.subject, body)
        await session.flush()
        return await case_view(session, case)

    return await idempotent(request, session, principal, body.model_dump(mode="json"), produce)


@router.get(
    "/cases",
    tags=["cases"],
    response_model=Page[CasePublic],
    responses=problem_responses(401, 403),
    summary="Cases in view: parties', a mediator's assigned cases, all for oversight",
)
async def list_cases(
    session: SessionDep,
    principal: Annotated[Principal, require(*CASE_READERS)],
    params: Annotated[PageParams, Depends(page_params)],
    stage: Annotated[str | None, Query(max_length=32)] = None,
):
    rows = await repository.cases(session, principal, params, stage=stage)
    return page_of(await case_views(session, rows), params, lambda c: [c.case_id])


@router.get(
    "/cases/{case_id}",
    tags=["cases"],
    response_model=CasePublic,
    responses=problem_responses(401, 403, 404),
    summary="One case with its clocks (due at, days left), sessions and findings",
)
async def get_case(case_id: CaseId, session: SessionDep, principal: Annotated[Principal, require(*CASE_READERS)]):
    return await case_view(session, await repository.visible_case(session, principal, case_id))


@router.post(
    "/cases/{case_id}/acceptance",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="A mediation body accepts the case: the mediation limit starts",
    **HONOURS_KEY,
)
async def accept_case(
    case_id: CaseId,
    body: Acceptance,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.department, Role.admin)],
):
    async def produce():
        require_body(principal, MEDIATION_BODIES)
        case = await repository.visible_case(session, principal, case_id, for_update=True)
        return await acted(session, await service.accept_for_mediation(session, case, body, principal))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/assignment",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="Assign a mediator (named, or by specialty, load and conflicts of interest)",
    **HONOURS_KEY,
)
async def assign_mediator(
    case_id: CaseId,
    body: Assignment,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.department, Role.admin)],
):
    async def produce():
        require_body(principal, MEDIATION_BODIES)
        case = await repository.visible_case(session, principal, case_id, for_update=True)
        return await acted(session, await service.assign_mediator(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


async def _mediation_case(session, case_id: str, principal: Principal):
    case = await repository.visible_case(session, principal, case_id, for_update=True)
    service.require_mediation_actor(principal, case)
    return case


MEDIATION_ACTORS = (Role.mediator, Role.department, Role.admin)


@router.post(
    "/cases/{case_id}/sessions",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="Record a mediation session",
    **HONOURS_KEY,
)
async def record_session(
    case_id: CaseId,
    body: SessionCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*MEDIATION_ACTORS)],
):
    async def produce():
        case = await _mediation_case(session, case_id, principal)
        return await acted(session, await service.record_session(session, case, principal, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/mediation-extension",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="Extend mediation once, by at most the policy's days, with both parties' consent",
    **HONOURS_KEY,
)
async def extend_mediation(
    case_id: CaseId,
    body: MediationExtension,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*MEDIATION_ACTORS)],
):
    async def produce():
        case = await _mediation_case(session, case_id, principal)
        return await acted(session, await service.extend_mediation(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/outcome",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="End mediation: agreement (terms, amount, fulfilment date) or no agreement",
    **HONOURS_KEY,
)
async def end_mediation(
    case_id: CaseId,
    body: Outcome,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*MEDIATION_ACTORS)],
):
    async def produce():
        case = await _mediation_case(session, case_id, principal)
        return await acted(session, await service.end_mediation(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/withdrawal",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="The worker withdraws the case",
    **HONOURS_KEY,
)
async def withdraw(
    case_id: CaseId, request: Request, session: SessionDep, principal: Annotated[Principal, require(Role.worker)]
):
    async def produce():
        case = await repository.visible_case(session, principal, case_id, for_update=True)
        return await acted(session, await service.withdraw(session, case))

    return await idempotent(request, session, principal, None, produce, status_code=200)


@router.post(
    "/cases/{case_id}/fulfilment",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="The agreement was fulfilled (its clock stops)",
    **HONOURS_KEY,
)
async def fulfil(
    case_id: CaseId,
    body: Fulfilment,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.worker, *MEDIATION_ACTORS)],
):
    async def produce():
        case = await repository.visible_case(session, principal, case_id, for_update=True)
        if principal.role != Role.worker:
            service.require_mediation_actor(principal, case)
        return await acted(session, await service.fulfil(session, case, body.fulfilled_on))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/cases/{case_id}/legal-aid",
    tags=["cases"],
    response_model=CasePublic,
    responses=ACT,
    summary="The worker asks for legal aid (referred to the justice bureau)",
    **HONOURS_KEY,
)
async def request_legal_aid(
    case_id: CaseId, request: Request, session: SessionDep, principal: Annotated[Principal, require(Role.worker)]
):
    async def produce():
        case = await repository.visible_case(session, principal, case_id, for_update=True)
        return await acted(session, await service.request_legal_aid(session, case))

    return await idempotent(request, session, principal, None, produce, status_code=200)
