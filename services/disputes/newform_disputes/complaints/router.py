"""The complaints' HTTP routes (tag `complaints`): parse, authorise, call the use case, shape the response."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params

from ..shared import today
from . import repository, rules, service
from .schemas import ComplaintAnswer, ComplaintCreate, ComplaintPublic, Escalation

router = APIRouter(prefix="/v1")

READERS = (Role.worker, Role.platform, Role.enterprise, Role.department, Role.regulator, Role.admin)
ComplaintId = Annotated[str, Path(max_length=64)]
ACT = problem_responses(401, 403, 404, 409, 422)


@router.get(
    "/categories",
    tags=["complaints"],
    response_model=dict[str, str],
    responses=problem_responses(401),
    summary="Complaint categories (code → Chinese name) in force today",
)
async def list_categories(principal: Annotated[Principal, require()]):
    return rules.categories(today())


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
        return await service.complaint_view(session, complaint, principal)

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
    views = await service.complaint_views(session, rows, principal)
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
    complaint = await repository.visible_complaint(session, principal, complaint_id)
    return await service.complaint_view(session, complaint, principal)


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
        complaint = await repository.visible_complaint(session, principal, complaint_id, for_update=True)
        await service.answer_complaint(session, complaint, body.answer)
        return await service.complaint_view(session, complaint, principal)

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
        complaint = await repository.visible_complaint(session, principal, complaint_id, for_update=True)
        await service.accept_answer(session, complaint)
        return await service.complaint_view(session, complaint, principal)

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
        complaint = await repository.visible_complaint(session, principal, complaint_id, for_update=True)
        await service.escalate(session, complaint, body)
        await session.flush()
        return await service.complaint_view(session, complaint, principal)

    return await idempotent(request, session, principal, body, produce, status_code=200)
