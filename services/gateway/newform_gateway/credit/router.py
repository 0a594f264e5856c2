"""The credit API: `GET /v1/credit-records` (`records_router`, published among the core routes), and
listings on the wage-arrears list, the signed daily export and ending an entry early (`router`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends, Query, Request

from newform_common.app import SessionDep, SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import Problem, problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_params

from ..access import ERRORS, Viewer
from . import listings, repository, service
from .export import build_export
from .schemas import (
    CreditRecordPublic,
    EarlyRemovalCreate,
    ExportedFile,
    ExportPublic,
    ListingCreate,
    ListingEndCreate,
    ListingEndPublic,
    ListingPublic,
)

records_router = APIRouter(prefix="/v1")


@records_router.get(
    "/credit-records",
    tags=["credit"],
    response_model=Page[CreditRecordPublic],
    responses=ERRORS,
    summary="Credit records (M6, M19) with their evidence chains, for sharing",
)
async def list_credit_records(
    session: SnapshotDep,
    principal: Viewer,
    params: Annotated[PageParams, Depends(page_params)],
    platform_id: str | None = Query(None, max_length=100),
):
    return await service.list_credit_records(session, params, platform_id=platform_id)


router = APIRouter(prefix="/v1")
Decider = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]
Reader = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


@router.post(
    "/credit-listings",
    tags=["credit"],
    status_code=201,
    response_model=ListingPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="List an employer on the wage-arrears list (办法 art. 5; hrss) on labour inspection's ignored "
    "order to pay plus the refusal-to-pay threshold or a mass incident; listed 3 years",
    **HONOURS_KEY,
)
async def create_listing(body: ListingCreate, request: Request, session: SessionDep, principal: Decider):
    async def produce():
        row = await listings.decide_listing(session, principal, body)
        return await listings.listing_public(session, row)

    return await idempotent(request, session, principal, body, produce, status_code=201)


@router.get(
    "/credit-listings",
    tags=["credit"],
    response_model=list[ListingPublic],
    responses=problem_responses(401, 403),
    summary="Listings on the wage-arrears list, with basis, term and any early removal",
)
async def list_listings(session: SnapshotDep, principal: Reader, credit_code: str | None = None):
    return [await listings.listing_public(session, r) for r in await repository.listings(session, credit_code)]


@router.post(
    "/credit-listings/{listing_id}/early-removal",
    tags=["credit"],
    response_model=ListingPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Grant early removal from the wage-arrears list: from 6 months after the arrears were "
    "corrected, with a written credit commitment (办法); refused (422 removal-too-early) before",
    **HONOURS_KEY,
)
async def early_removal(
    listing_id: str, body: EarlyRemovalCreate, request: Request, session: SessionDep, principal: Decider
):
    async def produce():
        row = await listings.remove_early(session, principal, listing_id, body)
        return await listings.listing_public(session, row)

    return await idempotent(request, session, principal, body, produce, status_code=200)


Oversight = Annotated[Principal, require(Role.regulator, Role.admin)]
Ender = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


def signing_key_of(request: Request) -> Ed25519PrivateKey:
    key = request.app.state.settings.credit_export_private_key()
    if key is None:
        raise Problem(
            "No credit-export signing key is configured (CREDIT_EXPORT_SIGNING_KEY_FILE)",
            status=503,
            slug="credit-export-unavailable",
            title="Credit export unavailable",
        )
    return key


@router.get(
    "/credit-exports",
    tags=["credit"],
    response_model=ExportPublic,
    responses=problem_responses(401, 403, 422, 503),
    summary="The signed daily credit-information files for a date range (M19), as sent to the city's "
    "public credit-information platform; replayable for any range",
)
async def get_credit_export(
    request: Request,
    session: SnapshotDep,
    principal: Oversight,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
):
    export = await build_export(session, start, end, signing_key_of(request))
    return ExportPublic(
        manifest=export.manifest,
        manifest_signature=export.manifest_signature,
        manifest_json=export.manifest_bytes.decode(),
        files=[
            ExportedFile(
                name=f.name, date=f.day, records=len(f.lines), content=f.content.decode(), signature=f.signature
            )
            for f in export.files
        ],
    )


@router.post(
    "/credit-records/{record_id}/end",
    tags=["credit"],
    status_code=201,
    response_model=ListingEndPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="End a credit listing early: repaired (信用修复) or removed on review; exported as such",
    **HONOURS_KEY,
)
async def end_credit_listing(
    record_id: str, body: ListingEndCreate, request: Request, session: SessionDep, principal: Ender
):
    async def produce():
        row = await listings.end_listing(session, principal, record_id, body)
        return ListingEndPublic(
            record_id=row.record_id,
            kind=row.kind,
            ended_on=row.ended_on,
            reason=row.reason,
            actor=row.actor,
            actor_department=row.actor_department,
        )

    return await idempotent(request, session, principal, body, produce, status_code=201)
