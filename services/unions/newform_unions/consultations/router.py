"""HTTP of consultation on platform rules (M10): the union requests and concludes, the platform replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from newform_common.app import SessionDep
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, page_of

from .. import repository as repo
from ..http import READ, WRITE, Anyone, Department, Id, Paging
from ..schemas import ConsultationCreate, ConsultationOutcome, ConsultationPublic, ConsultationReply, OpinionCreate
from . import service

router = APIRouter()


@router.post(
    "/consultations",
    tags=["consultations"],
    status_code=201,
    response_model=ConsultationPublic,
    responses=WRITE,
    summary="The union asks a platform to consult it on a rule (劳动合同法 art. 4); the reply clock starts",
)
async def request_consultation(body: ConsultationCreate, request: Request, session: SessionDep, principal: Department):
    async def produce():
        return await service.public(session, await service.request(session, principal, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/consultations",
    tags=["consultations"],
    response_model=Page[ConsultationPublic],
    responses=READ,
    summary="Consultations (a platform its own; oversight all)",
)
async def list_consultations(
    session: SessionDep,
    principal: Anyone,
    params: Paging,
    platform_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(requested|replied|concluded)$")] = None,
):
    rows = await repo.consultations_page(session, principal, params, platform_id=platform_id, status=status)
    items = [await service.public(session, c) for c in rows]
    return page_of(items, params, lambda c: [c.consultation_id])


@router.get(
    "/consultations/{consultation_id}",
    tags=["consultations"],
    response_model=ConsultationPublic,
    responses=READ,
    summary="One consultation with its reply clock",
)
async def get_consultation(consultation_id: Id, session: SessionDep, principal: Anyone):
    return await service.public(session, await repo.visible_consultation(session, principal, consultation_id))


@router.post(
    "/consultations/{consultation_id}/reply",
    tags=["consultations"],
    response_model=ConsultationPublic,
    responses=WRITE,
    summary="The platform's reply (stops the clock; a late reply keeps its finding)",
    **HONOURS_KEY,
)
async def reply_to_consultation(
    consultation_id: Id, body: ConsultationReply, request: Request, session: SessionDep, principal: Anyone
):
    async def produce():
        return await service.public(session, await service.reply(session, principal, consultation_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/consultations/{consultation_id}/opinions",
    tags=["consultations"],
    response_model=ConsultationPublic,
    responses=WRITE,
    summary="An opinion of the union or the platform, on record",
    **HONOURS_KEY,
)
async def add_consultation_opinion(
    consultation_id: Id, body: OpinionCreate, request: Request, session: SessionDep, principal: Anyone
):
    async def produce():
        return await service.public(session, await service.add_opinion(session, principal, consultation_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/consultations/{consultation_id}/outcome",
    tags=["consultations"],
    response_model=ConsultationPublic,
    responses=WRITE,
    summary="The union records the outcome (agreed, or not agreed)",
    **HONOURS_KEY,
)
async def conclude_consultation(
    consultation_id: Id, body: ConsultationOutcome, request: Request, session: SessionDep, principal: Department
):
    async def produce():
        return await service.public(session, await service.conclude(session, principal, consultation_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)
