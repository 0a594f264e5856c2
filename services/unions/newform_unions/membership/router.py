"""HTTP of online membership and coverage: a worker applies, the union decides; a platform sees counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from newform_common.app import SessionDep
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, page_of

from .. import repository as repo
from ..http import READ, WRITE, Anyone, Department, Id, Paging, Worker
from ..schemas import CoveragePublic, DistrictCoveragePublic, MembershipApply, MembershipDecision, MembershipPublic
from . import service

router = APIRouter()


@router.post(
    "/memberships",
    tags=["membership"],
    status_code=201,
    response_model=MembershipPublic,
    responses=WRITE,
    summary="Apply online to join a union (互联网+工会); while a member elsewhere, to transfer",
    description="A worker, with their own token, applies to the union covering the platform they are "
    "registered with or their district. One active membership and one open application per person "
    "at a time (409).",
)
async def apply_for_membership(body: MembershipApply, request: Request, session: SessionDep, principal: Worker):
    async def produce():
        return MembershipPublic.model_validate(await service.apply(session, principal, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/memberships",
    tags=["membership"],
    response_model=Page[MembershipPublic],
    responses=READ,
    summary="Memberships: a worker's own, all for the union department and oversight; none for a platform",
)
async def list_memberships(
    session: SessionDep,
    principal: Anyone,
    params: Paging,
    union_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
):
    rows = await repo.memberships_page(session, principal, params, union_id=union_id, status=status)
    return page_of([MembershipPublic.model_validate(m) for m in rows], params, lambda m: [m.membership_id])


@router.get(
    "/memberships/{membership_id}",
    tags=["membership"],
    response_model=MembershipPublic,
    responses=READ,
    summary="One membership (the worker's own, or oversight)",
)
async def get_membership(membership_id: Id, session: SessionDep, principal: Anyone):
    return MembershipPublic.model_validate(await repo.visible_membership(session, principal, membership_id))


@router.post(
    "/memberships/{membership_id}/decision",
    tags=["membership"],
    response_model=MembershipPublic,
    responses=WRITE,
    summary="The union accepts (a transfer ends the old membership) or refuses with a reason",
    **HONOURS_KEY,
)
async def decide_membership(
    membership_id: Id, body: MembershipDecision, request: Request, session: SessionDep, principal: Department
):
    async def produce():
        return MembershipPublic.model_validate(await service.decide(session, principal, membership_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/memberships/{membership_id}/leave",
    tags=["membership"],
    response_model=MembershipPublic,
    responses=WRITE,
    summary="Leave the union (the worker, or the union department recording it)",
)
async def leave_union(membership_id: Id, session: SessionDep, principal: Anyone):
    return MembershipPublic.model_validate(await service.leave(session, principal, membership_id))


@router.get(
    "/coverage",
    tags=["membership"],
    response_model=list[CoveragePublic],
    responses=READ,
    summary="Union coverage per platform (M17): its registered workers and the members among them, whichever "
    "union they joined (counts only; a platform its own; RULES.md)",
)
async def union_coverage(
    session: SessionDep, principal: Anyone, platform_id: Annotated[str | None, Query(max_length=64)] = None
):
    return await service.coverage(session, principal, platform_id)


@router.get(
    "/coverage/districts",
    tags=["membership"],
    response_model=list[DistrictCoveragePublic],
    responses=READ,
    summary="Union coverage per district (M17): each registered worker once, in the residence district of "
    "their latest active registration (oversight; RULES.md)",
)
async def union_coverage_by_district(session: SessionDep, principal: Anyone):
    return await service.coverage_by_district(session, principal)
