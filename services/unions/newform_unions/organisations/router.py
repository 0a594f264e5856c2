"""HTTP of union organisations: registered and kept by the union department, read by anyone signed in
(a worker finds the union to join; a platform the union covering it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from newform_common.app import SessionDep
from newform_common.errors import NotFound
from newform_common.idempotency import idempotent
from newform_common.pagination import Page, page_of

from .. import repository as repo
from ..http import READ, WRITE, Anyone, Department, Id, Paging
from ..schemas import UnionCoverage, UnionCreate, UnionPublic
from . import service

router = APIRouter()


@router.post(
    "/unions",
    tags=["unions"],
    status_code=201,
    response_model=UnionPublic,
    responses=WRITE,
    summary="Register a union organisation (单独建会/联合建会/行业建会/区域建会): the union department",
)
async def register_union(body: UnionCreate, request: Request, session: SessionDep, principal: Department):
    async def produce():
        return UnionPublic.model_validate(await service.register_union(session, principal, body))

    return await idempotent(request, session, principal, body, produce)


@router.get("/unions", tags=["unions"], response_model=Page[UnionPublic], responses=READ, summary="Union organisations")
async def list_unions(
    session: SessionDep,
    principal: Anyone,
    params: Paging,
    platform_id: Annotated[str | None, Query(max_length=64, description="Those covering this platform")] = None,
):
    rows = await repo.unions_page(session, params, platform_id=platform_id)
    return page_of([UnionPublic.model_validate(u) for u in rows], params, lambda u: [u.union_id])


@router.get("/unions/{union_id}", tags=["unions"], response_model=UnionPublic, responses=READ, summary="One union")
async def get_union(union_id: Id, session: SessionDep, principal: Anyone):
    row = await repo.union(session, union_id)
    if row is None:
        raise NotFound(f"No union {union_id!r}")
    return UnionPublic.model_validate(row)


@router.put(
    "/unions/{union_id}/coverage",
    tags=["unions"],
    response_model=UnionPublic,
    responses=WRITE,
    summary="Change the platforms and districts a union covers: the union department",
)
async def change_union_coverage(union_id: Id, body: UnionCoverage, session: SessionDep, principal: Department):
    return UnionPublic.model_validate(await service.change_coverage(session, principal, union_id, body))
