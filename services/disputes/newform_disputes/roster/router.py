"""The roster's HTTP routes (tag `roster`): parse, authorise, call the use case, shape the response."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import NotFound, problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params

from ..shared import MEDIATION_BODIES, require_body
from . import repository, service
from .schemas import MediatorCreate, MediatorPublic, MediatorUpdate

router = APIRouter(prefix="/v1")

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
        require_body(principal, MEDIATION_BODIES)
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
    rows = await repository.mediators(session, params, active=active, specialty=specialty, roster=roster)
    views = await service.mediator_views(session, rows)
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
    require_body(principal, MEDIATION_BODIES)
    mediator = await repository.mediator(session, mediator_id, for_update=True)
    if mediator is None:
        raise NotFound(f"No mediator {mediator_id!r}")
    _, reassigned = await service.update_mediator(session, mediator, body)
    await session.flush()
    view = (await service.mediator_views(session, [mediator]))[0]
    view.reassigned = reassigned
    return view
