"""HTTP only: parse, authorise, call the use case, shape the response."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import NotFound, problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params

from . import repository, rules, service
from .models import Mediator
from .schemas import (
    Acceptance,
    ArbitrationApplication,
    ArbitrationExtension,
    ArbitrationRefusal,
    ArbitrationRestart,
    Assignment,
    Award,
    CaseCreate,
    CasePublic,
    ClockPause,
    ComplaintAnswer,
    ComplaintCreate,
    ComplaintPublic,
    Escalation,
    Fulfilment,
    MediationExtension,
    MediatorCreate,
    MediatorPublic,
    MediatorUpdate,
    Outcome,
    SessionCreate,
)

router = APIRouter(prefix="/v1")

READERS = (Role.worker, Role.platform, Role.enterprise, Role.department, Role.regulator, Role.admin)
CASE_READERS = (*READERS, Role.mediator)
ComplaintId = Annotated[str, Path(max_length=64)]
CaseId = Annotated[str, Path(max_length=64)]
ACT = problem_responses(401, 403, 404, 409, 422)


# ---------------------------------------------------------------------------------------------
# Complaints
# ---------------------------------------------------------------------------------------------
@router.get(
    "/categories",
    tags=["complaints"],
    response_model=dict[str, str],
    responses=problem_responses(401),
    summary="Complaint categories (code → Chinese name) in force today",
)
async def list_categories(principal: Annotated[Principal, require()]):
    return rules.categories(service.today())


@router.post(
    "/complaints",
    tags=["complaints"],
    status_code=201,
    response_model=ComplaintPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="A worker files a complaint against a platform or a related unit (M10, M20)",
)
async def file_complaint(
    body: ComplaintCreate, request: Request, session: SessionDep, principal: Annotated[Principal, require(Role.worker)]
):
    async def produce() -> ComplaintPublic:
        complaint = await service.file_complaint(session, principal.subject, body)
        await session.flush()
        return await repository.complaint_view(session, complaint, principal)

    return await idempotent(request, session, principal, body.model_dump(mode="json"), produce)


@router.get(
    "/complaints",
    tags=["complaints"],
    response_model=Page[ComplaintPublic],
    responses=problem_responses(401, 403),
    summary="Complaints in view: a worker's own, those against a platform, all for oversight",
)
async def list_complaints(
    session: SessionDep,
    principal: Annotated[Principal, require(*READERS)],
    params: Annotated[PageParams, Depends(page_params)],
    status: Literal["awaiting_reply", "answered", "resolved"] | None = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
):
    rows = await repository.complaints(session, principal, params, status=status, category=category)
    views = await repository.complaint_views(session, rows, principal)
    return page_of(views, params, lambda c: [c.complaint_id])


@router.get(
    "/complaints/{complaint_id}",
    tags=["complaints"],
    response_model=ComplaintPublic,
    responses=problem_responses(401, 403, 404),
    summary="One complaint with its reply clock",
)
async def get_complaint(
    complaint_id: ComplaintId, session: SessionDep, principal: Annotated[Principal, require(*READERS)]
):
    complaint = await service.visible_complaint(session, complaint_id, principal)
    return await repository.complaint_view(session, complaint, principal)


@router.post(
    "/complaints/{complaint_id}/answer",
    tags=["complaints"],
    response_model=ComplaintPublic,
    responses=ACT,
    summary="The platform answers a complaint against it (within the reply time)",
    **HONOURS_KEY,
)
async def answer_complaint(
    complaint_id: ComplaintId,
    body: ComplaintAnswer,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.platform, Role.enterprise)],
):
    async def produce():
        complaint = await service.visible_complaint(session, complaint_id, principal, for_update=True)
        await service.answer_complaint(session, complaint, body.answer)
        return await repository.complaint_view(session, complaint, principal)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/complaints/{complaint_id}/acceptance",
    tags=["complaints"],
    response_model=ComplaintPublic,
    responses=ACT,
    summary="The worker accepts the platform's answer",
    **HONOURS_KEY,
)
async def accept_answer(
    complaint_id: ComplaintId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.worker)],
):
    async def produce():
        complaint = await service.visible_complaint(session, complaint_id, principal, for_update=True)
        await service.accept_answer(session, complaint)
        return await repository.complaint_view(session, complaint, principal)

    return await idempotent(request, session, principal, None, produce, status_code=200)


@router.post(
    "/complaints/{complaint_id}/escalation",
    tags=["complaints"],
    response_model=ComplaintPublic,
    responses=ACT,
    summary="The worker escalates: to mediation (a case), or to the departments as an enforcement clue",
    **HONOURS_KEY,
)
async def escalate_complaint(
    complaint_id: ComplaintId,
    body: Escalation,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.worker)],
):
    async def produce():
        complaint = await service.visible_complaint(session, complaint_id, principal, for_update=True)
        await service.escalate(session, complaint, body)
        await session.flush()
        return await repository.complaint_view(session, complaint, principal)

    return await idempotent(request, session, principal, body, produce, status_code=200)


# ---------------------------------------------------------------------------------------------
# The roster of mediators
# ---------------------------------------------------------------------------------------------
ROSTER_KEEPERS = (Role.department, Role.admin)


@router.post(
    "/mediators",
    tags=["roster"],
    status_code=201,
    response_model=MediatorPublic,
    responses=problem_responses(401, 403, 422),
    summary="Add an invited mediator to the roster (M18)",
    **HONOURS_KEY,
)
async def add_mediator(
    body: MediatorCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(*ROSTER_KEEPERS)],
):
    async def produce():
        service.require_body(principal, service.MEDIATION_BODIES)
        mediator = await service.add_mediator(session, body)
        return MediatorPublic.model_validate(mediator)

    return await idempotent(request, session, principal, body, produce, status_code=201)


@router.get(
    "/mediators",
    tags=["roster"],
    response_model=Page[MediatorPublic],
    responses=problem_responses(401, 403),
    summary="The roster (court and labour mediation rosters, linked), with open cases per mediator",
)
async def list_mediators(
    session: SessionDep,
    principal: Annotated[Principal, require(Role.department, Role.regulator, Role.admin, Role.mediator)],
    params: Annotated[PageParams, Depends(page_params)],
    active: bool | None = None,
    specialty: Annotated[str | None, Query(max_length=32)] = None,
    roster: Literal["court", "labour"] | None = None,
):
    views = await repository.mediators(session, params, active=active, specialty=specialty, roster=roster)
    return page_of(views, params, lambda m: [m.mediator_id])


@router.patch(
    "/mediators/{mediator_id}",
    tags=["roster"],
    response_model=MediatorPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="Keep the roster current: activate, deactivate, term, specialties, conflicts",
)
async def update_mediator(
    mediator_id: Annotated[str, Path(max_length=64)],
    body: MediatorUpdate,
    session: SessionDep,
    principal: Annotated[Principal, require(*ROSTER_KEEPERS)],
):
    service.require_body(principal, service.MEDIATION_BODIES)
    mediator = await session.get(Mediator, mediator_id, with_for_update=True)
    if mediator is None:
        raise NotFound(f"No mediator {mediator_id!r}")
    _, reassigned = await service.update_mediator(session, mediator, body)
    await session.flush()
    view = (await repository.mediator_views(session, [mediator]))[0]
    view.reassigned = reassigned
    return view


# ---------------------------------------------------------------------------------------------
# Cases: mediation
# ---------------------------------------------------------------------------------------------
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
        case, _ = await service.open_case(session, principal.subject, body)
        await session.flush()
        return await repository.case_view(session, case)

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
    return page_of(await repository.case_views(session, rows), params, lambda c: [c.case_id])


@router.get(
    "/cases/{case_id}",
    tags=["cases"],
    response_model=CasePublic,
    responses=problem_responses(401, 403, 404),
    summary="One case with its clocks (due at, days left), sessions and findings",
)
async def get_case(case_id: CaseId, session: SessionDep, principal: Annotated[Principal, require(*CASE_READERS)]):
    return await repository.case_view(session, await service.visible_case(session, case_id, principal))


async def _acted(session, case) -> CasePublic:
    await session.flush()
    return await repository.case_view(session, case)


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
        service.require_body(principal, service.MEDIATION_BODIES)
        case = await service.visible_case(session, case_id, principal, for_update=True)
        return await _acted(session, await service.accept_for_mediation(session, case, body, principal))

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
        service.require_body(principal, service.MEDIATION_BODIES)
        case = await service.visible_case(session, case_id, principal, for_update=True)
        return await _acted(session, await service.assign_mediator(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


async def _mediation_case(session, case_id: str, principal: Principal):
    case = await service.visible_case(session, case_id, principal, for_update=True)
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
        return await _acted(session, await service.record_session(session, case, principal, body))

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
        return await _acted(session, await service.extend_mediation(session, case, body))

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
        return await _acted(session, await service.end_mediation(session, case, body))

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
        case = await service.visible_case(session, case_id, principal, for_update=True)
        return await _acted(session, await service.withdraw(session, case))

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
        case = await service.visible_case(session, case_id, principal, for_update=True)
        if principal.role != Role.worker:
            service.require_mediation_actor(principal, case)
        return await _acted(session, await service.fulfil(session, case, body.fulfilled_on))

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
        case = await service.visible_case(session, case_id, principal, for_update=True)
        return await _acted(session, await service.request_legal_aid(session, case))

    return await idempotent(request, session, principal, None, produce, status_code=200)


# ---------------------------------------------------------------------------------------------
# Cases: arbitration and the court
# ---------------------------------------------------------------------------------------------
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
        case = await service.visible_case(session, case_id, principal, for_update=True)
        return await _acted(session, await service.apply_for_arbitration(session, case, body))

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
        case = await service.visible_case(session, case_id, principal, for_update=True)
        return await _acted(session, await service.refer_to_court(session, case))

    return await idempotent(request, session, principal, None, produce, status_code=200)


async def _arbitration_case(session, case_id: str, principal: Principal):
    service.require_body(principal, service.ARBITRATION_BODIES)
    return await service.visible_case(session, case_id, principal, for_update=True)


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
        return await _acted(session, await service.accept_arbitration(session, case, body))

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
        return await _acted(session, await service.refuse_arbitration(session, case, body))

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
        return await _acted(session, await service.extend_award_limit(session, case, body.days))

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
        return await _acted(session, await service.suspend(session, case, body.at))

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
        return await _acted(session, await service.resume(session, case, body.at))

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
        return await _acted(session, await service.restart_award_clock(session, case, body))

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
        return await _acted(session, await service.award(session, case, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)
