"""HTTP of enterprises: register a platform (regulator, admin) or a partner (its platform), read them; the
public directory of platforms (any signed-in caller: names, districts, occupations only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.idempotency import idempotent
from newform_common.pagination import Page, page_of

from ..dependencies import (
    READ_ERRORS,
    WRITE_ERRORS,
    Oversight,
    Paging,
    PlatformCaller,
    Reader,
    platform_filter,
)
from . import repository, service
from .schemas import EnterprisePublic, PartnerCreate, PlatformCreate, PlatformDirectoryEntry

router = APIRouter(prefix="/v1")

# A platform's name, district and occupations are public registration facts (the enterprise credit
# information the M19 credit measures are about): every signed-in caller reads them, a worker too.
AnyCaller = Annotated[Principal, require(*Role)]


@router.post(
    "/platforms",
    tags=["enterprises"],
    status_code=201,
    response_model=EnterprisePublic,
    responses=WRITE_ERRORS,
    summary="Register a platform enterprise (regulator or admin)",
)
async def register_platform(body: PlatformCreate, request: Request, session: SessionDep, principal: Oversight):
    async def produce():
        return EnterprisePublic.model_validate(await service.register_platform(session, body))

    return await idempotent(request, session, principal, body, produce)


@router.post(
    "/partners",
    tags=["enterprises"],
    status_code=201,
    response_model=EnterprisePublic,
    responses=WRITE_ERRORS,
    summary="Register a cooperating enterprise of the caller's platform (M3)",
)
async def register_partner(body: PartnerCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    async def produce():
        return EnterprisePublic.model_validate(await service.register_partner(session, principal.platform_id, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/enterprises",
    tags=["enterprises"],
    response_model=Page[EnterprisePublic],
    responses=READ_ERRORS,
    summary="List enterprises (a platform sees itself and its partners)",
)
async def list_enterprises(
    session: SessionDep, principal: Reader, params: Paging, platform_id: str | None = None, kind: str | None = None
):
    rows = await repository.enterprises(
        session, principal, params, platform_id=platform_filter(principal, platform_id), kind=kind
    )
    return page_of([EnterprisePublic.model_validate(e) for e in rows], params, lambda e: [e.enterprise_id])


@router.get(
    "/enterprises/{enterprise_id}",
    tags=["enterprises"],
    response_model=EnterprisePublic,
    responses=READ_ERRORS,
    summary="Get an enterprise",
)
async def get_enterprise(enterprise_id: str, session: SessionDep, principal: Reader):
    return EnterprisePublic.model_validate(await repository.visible_enterprise(session, principal, enterprise_id))


@router.get(
    "/platforms",
    tags=["enterprises"],
    response_model=Page[PlatformDirectoryEntry],
    responses=READ_ERRORS,
    summary="The public directory of platforms (any signed-in caller; name, district, occupations)",
)
async def list_platforms(session: SessionDep, principal: AnyCaller, params: Paging):
    rows = await repository.platform_directory(session, params)
    return page_of([PlatformDirectoryEntry.model_validate(e) for e in rows], params, lambda e: [e.platform_id])


@router.get(
    "/platforms/{platform_id}",
    tags=["enterprises"],
    response_model=PlatformDirectoryEntry,
    responses=READ_ERRORS,
    summary="A platform's public facts (any signed-in caller; name, district, occupations)",
)
async def get_platform(platform_id: Annotated[str, Path(max_length=64)], session: SessionDep, principal: AnyCaller):
    return PlatformDirectoryEntry.model_validate(await repository.platform(session, platform_id))
