"""HTTP of account restrictions (M5): the published reasons, restrict or cancel, appeal, lift."""

from __future__ import annotations

from fastapi import APIRouter, Request

from newform_common.app import SessionDep
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, page_of

from .. import shared
from ..dependencies import (
    READ_ERRORS,
    WRITE_ERRORS,
    AppealReader,
    Appellant,
    Lifter,
    Paging,
    PlatformCaller,
    Reader,
    platform_filter,
)
from . import repository, rules, service
from .schemas import AppealCreate, AppealPublic, LiftCreate, RestrictionCreate, RestrictionPublic, RestrictionReason

router = APIRouter(prefix="/v1")


@router.get(
    "/account-restrictions/reasons",
    tags=["account restrictions"],
    response_model=list[RestrictionReason],
    summary="The published list of reasons for restricting or cancelling a registration (M5)",
)
async def list_restriction_reasons():
    return [RestrictionReason(code=k, label=v) for k, v in rules.restriction_reasons(shared.today()).items()]


@router.post(
    "/account-restrictions",
    tags=["account restrictions"],
    status_code=201,
    response_model=RestrictionPublic,
    responses=WRITE_ERRORS,
    summary="Restrict or cancel a worker's registration, with reason and notice (M5)",
)
async def restrict_account(body: RestrictionCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    async def produce():
        r, refs = await service.restrict_account(session, principal, body)
        return service.restriction_public(r, refs)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/account-restrictions",
    tags=["account restrictions"],
    response_model=Page[RestrictionPublic],
    responses=READ_ERRORS,
    summary="List account restrictions",
)
async def list_account_restrictions(
    session: SessionDep, principal: Reader, params: Paging, platform_id: str | None = None, worker_id: str | None = None
):
    rows = await repository.restrictions(
        session, principal, params, platform_id=platform_filter(principal, platform_id), worker_id=worker_id
    )
    items = [await service.restriction_public_of(session, r) for r in rows]
    return page_of(items, params, lambda r: [r.restriction_id])


@router.post(
    "/account-restrictions/{restriction_id}/appeals",
    tags=["account restrictions"],
    status_code=201,
    response_model=AppealPublic,
    responses=WRITE_ERRORS,
    summary="The worker appeals against a restriction (a worker channel on his behalf, or his own token)",
)
async def appeal_restriction(
    restriction_id: str, body: AppealCreate, request: Request, session: SessionDep, principal: Appellant
):
    async def produce():
        return AppealPublic.model_validate(await service.appeal_restriction(session, principal, restriction_id, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/account-restrictions/{restriction_id}/appeals",
    tags=["account restrictions"],
    response_model=list[AppealPublic],
    responses=READ_ERRORS,
    summary="Appeals against a restriction",
)
async def list_restriction_appeals(restriction_id: str, session: SessionDep, principal: AppealReader):
    r = await repository.visible_restriction(session, principal, restriction_id)
    return [AppealPublic.model_validate(a) for a in await repository.appeals(session, r.id)]


@router.post(
    "/account-restrictions/{restriction_id}/lift",
    tags=["account restrictions"],
    response_model=RestrictionPublic,
    responses=WRITE_ERRORS,
    summary="Lift a restriction or cancellation: the registration is active again (platform or regulator)",
    **HONOURS_KEY,
)
async def lift_restriction(
    restriction_id: str, body: LiftCreate, request: Request, session: SessionDep, principal: Lifter
):
    async def produce():
        r = await service.lift_restriction(session, principal, restriction_id, body.reason)
        return await service.restriction_public_of(session, r)

    return await idempotent(request, session, principal, body, produce, status_code=200)
