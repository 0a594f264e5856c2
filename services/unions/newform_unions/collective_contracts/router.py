"""HTTP of collective contracts: the union drafts, the parties sign and submit, hrss reviews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from newform_common.app import SessionDep
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, page_of

from .. import repository as repo
from ..http import READ, WRITE, Anyone, Department, Id, Paging
from ..schemas import (
    CollectiveContractCreate,
    CollectiveContractPublic,
    Ending,
    Review,
    Revision,
    Signing,
    Submission,
)
from . import service

router = APIRouter()


@router.post(
    "/collective_contracts",
    tags=["collective contracts"],
    status_code=201,
    response_model=CollectiveContractPublic,
    responses=WRITE,
    summary="Draft a collective contract with its terms (the union)",
)
async def draft_collective_contract(
    body: CollectiveContractCreate, request: Request, session: SessionDep, principal: Department
):
    async def produce():
        return await service.public(session, await service.create(session, principal, body))

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/collective_contracts",
    tags=["collective contracts"],
    response_model=Page[CollectiveContractPublic],
    responses=READ,
    summary="Collective contracts (public to those they bind; a platform those binding it)",
    description="A worker's token lists the contracts that bind them, in force or ended (劳动合同法 art. 54): "
    "those naming a platform they are registered with, and their occupation and residence district where the "
    "contract names any. Drafts and contracts under review are not shown to workers.",
)
async def list_collective_contracts(
    session: SessionDep,
    principal: Anyone,
    params: Paging,
    status: Annotated[str | None, Query(max_length=16)] = None,
    platform_id: Annotated[str | None, Query(max_length=64)] = None,
):
    rows = await repo.collective_contracts_page(session, principal, params, status=status, platform_id=platform_id)
    items = [await service.public(session, c) for c in rows]
    return page_of(items, params, lambda c: [c.collective_contract_id])


@router.get(
    "/collective_contracts/{collective_contract_id}",
    tags=["collective contracts"],
    response_model=CollectiveContractPublic,
    responses=READ,
    summary="One collective contract with its clocks",
    description="A worker sees only a contract that binds them (as in the list); any other is 404.",
)
async def get_collective_contract(collective_contract_id: Id, session: SessionDep, principal: Anyone):
    row = await repo.visible_collective_contract(session, principal, collective_contract_id)
    return await service.public(session, row)


@router.post(
    "/collective_contracts/{collective_contract_id}/signing",
    tags=["collective contracts"],
    response_model=CollectiveContractPublic,
    responses=WRITE,
    summary="Signed by both chief representatives: 10 days to submit it to hrss (集体合同规定 art. 42)",
    **HONOURS_KEY,
)
async def sign_collective_contract(
    collective_contract_id: Id, body: Signing, request: Request, session: SessionDep, principal: Anyone
):
    async def produce():
        return await service.public(session, await service.sign(session, principal, collective_contract_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/collective_contracts/{collective_contract_id}/submission",
    tags=["collective contracts"],
    response_model=CollectiveContractPublic,
    responses=WRITE,
    summary="Submitted to hrss: in force unless hrss objects within 15 days of receipt (劳动合同法 art. 54)",
    **HONOURS_KEY,
)
async def submit_collective_contract(
    collective_contract_id: Id, body: Submission, request: Request, session: SessionDep, principal: Anyone
):
    async def produce():
        return await service.public(session, await service.submit(session, principal, collective_contract_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/collective_contracts/{collective_contract_id}/review",
    tags=["collective contracts"],
    response_model=CollectiveContractPublic,
    responses=WRITE,
    summary="hrss approves (in force that day) or objects with reasons (returned; 集体合同规定 art. 44)",
    **HONOURS_KEY,
)
async def review_collective_contract(
    collective_contract_id: Id, body: Review, request: Request, session: SessionDep, principal: Department
):
    async def produce():
        return await service.public(session, await service.review(session, principal, collective_contract_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/collective_contracts/{collective_contract_id}/ending",
    tags=["collective contracts"],
    response_model=CollectiveContractPublic,
    responses=WRITE,
    summary="A contract in force ends early (terminated, or superseded): the union or hrss",
    **HONOURS_KEY,
)
async def end_collective_contract(
    collective_contract_id: Id, body: Ending, request: Request, session: SessionDep, principal: Department
):
    async def produce():
        return await service.public(session, await service.end(session, principal, collective_contract_id, body))

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.put(
    "/collective_contracts/{collective_contract_id}/terms",
    tags=["collective contracts"],
    response_model=CollectiveContractPublic,
    responses=WRITE,
    summary="Renegotiated terms: a draft's, or a returned contract's (back to draft, to be signed again)",
)
async def revise_collective_contract(
    collective_contract_id: Id, body: Revision, session: SessionDep, principal: Department
):
    return await service.public(session, await service.revise(session, principal, collective_contract_id, body))
