"""HTTP of worker registrations: register (platform), list and read (masked unless revealed, audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from newform_common.app import SessionDep
from newform_common.errors import problem_responses
from newform_common.idempotency import idempotent
from newform_common.pagination import Page, page_of

from ..dependencies import (
    PURPOSE,
    READ_ERRORS,
    WRITE_ERRORS,
    Paging,
    PlatformCaller,
    Reader,
    Reveal,
    pii_of,
    platform_filter,
)
from ..pii import audit_reveal, authorize_reveal
from . import repository, service
from .schemas import WorkerCreate, WorkerPublic

router = APIRouter(prefix="/v1")


@router.post(
    "/workers",
    tags=["workers"],
    status_code=201,
    response_model=WorkerPublic,
    responses=WRITE_ERRORS,
    summary="Register a worker with the caller's platform (ID number and phone validated, encrypted)",
)
async def register_worker(body: WorkerCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    pii = pii_of(request)

    async def produce():
        reg = await service.register_worker(session, pii, principal.platform_id, body)
        return await service.worker_public(session, pii, reg, reveal=False)

    # The idempotency record keeps only a hash of the request; key the PII so it cannot be guessed back.
    fingerprint = {
        **body.model_dump(),
        "id_number": pii.cipher.lookup_hash(body.id_number),
        "phone": pii.cipher.lookup_hash(body.phone),
        "name": pii.cipher.lookup_hash(body.name),
    }
    return await idempotent(request, session, principal, fingerprint, produce)


@router.get(
    "/workers",
    tags=["workers"],
    response_model=Page[WorkerPublic],
    responses=READ_ERRORS,
    summary="List worker registrations (masked)",
)
async def list_workers(
    request: Request,
    session: SessionDep,
    principal: Reader,
    params: Paging,
    platform_id: str | None = None,
    worker_id: str | None = None,
):
    regs = await repository.registrations(
        session, principal, params, platform_id=platform_filter(principal, platform_id), worker_id=worker_id
    )
    pii = pii_of(request)
    items = [await service.worker_public(session, pii, r, reveal=False) for r in regs]
    return page_of(items, params, lambda w: [w.registration_id])


@router.get(
    "/workers/{registration_id}",
    tags=["workers"],
    response_model=WorkerPublic,
    responses=problem_responses(400, 401, 403, 404),
    summary="Get a worker registration",
    dependencies=PURPOSE,
)
async def get_worker(
    registration_id: str, request: Request, session: SessionDep, principal: Reader, reveal: Reveal = False
):
    reg = await repository.visible_registration(session, principal, registration_id)
    if reveal:
        purpose = authorize_reveal(request, principal)
        audit_reveal(session, principal, purpose, "worker", reg.id, ["name", "id_number", "phone"])
    return await service.worker_public(session, pii_of(request), reg, reveal=reveal)
