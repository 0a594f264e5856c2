"""HTTP of contracts and agreements: draft, read, send, sign, verify the evidence, terminate, discard,
expire (admin). Signature routes sit among the lifecycle's, in the order the published document has."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.db import Database
from newform_common.errors import Unprocessable, problem_responses
from newform_common.idempotency import HONOURS_KEY, answer, idempotent, idempotent_request, replay
from newform_common.outbox import outbox_row
from newform_common.pagination import Page, page_of
from newform_common.responses import FastJSONResponse

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
    sealer_of,
)
from ..pii import audit_reveal, authorize_reveal, mask_document
from . import drafting, repository, service, signatures
from .schemas import (
    ContractCreate,
    ContractDocument,
    ContractPublic,
    DiscardContract,
    EvidenceKey,
    EvidencePublic,
    EvidenceRecordPublic,
    ExpiryRun,
    SendContract,
    SignatureCreate,
    TerminationCreate,
    TransitionPublic,
    VerificationPublic,
)

router = APIRouter(prefix="/v1")


@router.post(
    "/contracts/expire-due",
    tags=["contracts"],
    response_model=ExpiryRun,
    responses=problem_responses(401, 403),
    summary="Expire now every signed contract past its end date (admin; the deadline worker does it anyway)",
)
async def expire_due_contracts(request: Request, principal: Annotated[Principal, require(Role.admin)]):
    # The deadline worker does this every few seconds; this is for an operator who will not wait.
    return ExpiryRun(expired=await service.expire_due_now(request.app.state.db))


@router.post(
    "/contracts",
    tags=["contracts"],
    status_code=201,
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Draft a contract or agreement; refused on a forbidden clause, flagged on a finding",
)
async def draft_contract(body: ContractCreate, request: Request, principal: PlatformCaller):
    # The busiest write, without a session: one statement reads what the rules need (and a stored
    # answer to the Idempotency-Key), one more writes the contract, its transition, held findings,
    # event and idempotency record, all or none.
    asked = idempotent_request(request, principal, body)
    db: Database = request.app.state.db
    async with db.autocommit() as conn:
        facts = await repository.draft_facts(conn, body.registration_id, body.enterprise_id, asked)
        if asked is not None and facts.stored is not None:
            return replay(asked, facts.stored)
        draft = drafting.draft_contract(principal, body, facts, pii_of(request))
        content, status_code, _ = answer(request, draft.public)
        await repository.save_draft(
            conn,
            draft.contract,
            draft.transition,
            draft.held,
            outbox_row(db.service, draft.event),
            asked.record(status_code, content) if asked is not None else None,
        )
    db.notify_outbox_committed()
    return FastJSONResponse(content, status_code=status_code)


@router.get(
    "/contracts",
    tags=["contracts"],
    response_model=Page[ContractPublic],
    responses=READ_ERRORS,
    summary="List contracts and agreements",
)
async def list_contracts(
    session: SessionDep,
    principal: Reader,
    params: Paging,
    platform_id: str | None = None,
    worker_id: str | None = None,
    enterprise_id: str | None = None,
    status: str | None = None,
):
    contracts = await repository.contracts(
        session,
        principal,
        params,
        platform_id=platform_filter(principal, platform_id),
        worker_id=worker_id,
        enterprise_id=enterprise_id,
        status=status,
    )
    items = [await service.contract_public(session, c) for c in contracts]
    return page_of(items, params, lambda c: [c.contract_id])


@router.get(
    "/contracts/{contract_id}",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=READ_ERRORS,
    summary="Get a contract or agreement",
)
async def get_contract(contract_id: str, session: SessionDep, principal: Reader):
    c = await repository.visible_contract(session, principal, contract_id)
    return await service.contract_public(session, c)


@router.get(
    "/contracts/{contract_id}/document",
    tags=["contracts"],
    response_model=ContractDocument,
    responses=problem_responses(400, 401, 403, 404),
    summary="The contract's document text (ID and mobile numbers masked unless revealed) and its hash",
    dependencies=PURPOSE,
)
async def get_contract_document(
    contract_id: str, request: Request, session: SessionDep, principal: Reader, reveal: Reveal = False
):
    c = await repository.visible_contract(session, principal, contract_id)
    if reveal:
        purpose = authorize_reveal(request, principal)
        audit_reveal(session, principal, purpose, "contract_document", c.id, ["document_text"])
    text = service.document_text(pii_of(request), c)
    return ContractDocument(
        contract_id=c.id,
        document_text=text if reveal else mask_document(text),
        document_sha256=c.document_sha256,
        revealed=reveal,
    )


@router.get(
    "/contracts/{contract_id}/transitions",
    tags=["contracts"],
    response_model=list[TransitionPublic],
    responses=READ_ERRORS,
    summary="The contract's lifecycle history",
)
async def list_contract_transitions(contract_id: str, session: SessionDep, principal: Reader):
    await repository.visible_contract(session, principal, contract_id)
    return [TransitionPublic.model_validate(t) for t in await repository.transitions(session, contract_id)]


@router.post(
    "/contracts/{contract_id}/send",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Send a drafted contract to the worker for signing",
    **HONOURS_KEY,
)
async def send_contract(
    contract_id: str, request: Request, session: SessionDep, principal: PlatformCaller, body: SendContract | None = None
):
    async def produce():
        c = await service.send_contract(session, principal, contract_id)
        return await service.contract_public(session, c)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/contracts/{contract_id}/signatures",
    tags=["signatures"],
    status_code=201,
    response_model=EvidenceRecordPublic,
    responses=WRITE_ERRORS,
    summary="Record a party's signature; sealed evidence (M4). Signed once both parties signed",
    description="The worker signs with their own worker token (`signer: worker`; the time recorded "
    "is when the service received it); the platform signs as `enterprise`. A platform "
    "token cannot sign as the worker (403).",
)
async def sign_contract(
    contract_id: str,
    body: SignatureCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Role.platform, Role.enterprise, Role.worker)],
):
    sealer = sealer_of(request)

    async def produce():
        return EvidenceRecordPublic.model_validate(
            await signatures.sign_contract(session, principal, sealer, contract_id, body)
        )

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/contracts/{contract_id}/evidence",
    tags=["signatures"],
    response_model=EvidencePublic,
    responses=READ_ERRORS,
    summary="The signature evidence chain and the key that seals it",
)
async def get_contract_evidence(contract_id: str, request: Request, session: SessionDep, principal: Reader):
    c = await repository.visible_contract(session, principal, contract_id)
    records = await repository.evidence_records(session, c.id)
    return EvidencePublic(
        contract_id=c.id,
        document_sha256=c.document_sha256,
        public_key_pem=sealer_of(request).public_pem,
        records=[EvidenceRecordPublic.model_validate(r) for r in records],
    )


@router.post(
    "/contracts/{contract_id}/evidence/verify",
    tags=["signatures"],
    response_model=VerificationPublic,
    responses=READ_ERRORS,
    summary="Verify the document hash and every record's hash, link and seal",
)
async def verify_contract_evidence(contract_id: str, request: Request, session: SessionDep, principal: Reader):
    c = await repository.visible_contract(session, principal, contract_id)
    problems = await signatures.verify_evidence(session, sealer_of(request), c, pii_of(request))
    return VerificationPublic(
        contract_id=c.id, valid=not problems, document_sha256=c.document_sha256, problems=problems
    )


@router.post(
    "/contracts/{contract_id}/termination",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Terminate a signed contract",
    **HONOURS_KEY,
)
async def terminate_contract(
    contract_id: str, body: TerminationCreate, request: Request, session: SessionDep, principal: PlatformCaller
):
    async def produce():
        if body.terminated_at is not None and body.terminated_at.utcoffset() is None:
            raise Unprocessable("terminated_at needs a timezone offset (RFC 3339)")
        c = await service.terminate_contract(session, principal, contract_id, body.reason, body.terminated_at)
        return await service.contract_public(session, c)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/contracts/{contract_id}/discard",
    tags=["contracts"],
    response_model=ContractPublic,
    responses=WRITE_ERRORS,
    summary="Discard a draft never sent; its provisional findings are withdrawn (never alerts)",
    **HONOURS_KEY,
)
async def discard_contract(
    contract_id: str, body: DiscardContract, request: Request, session: SessionDep, principal: PlatformCaller
):
    async def produce():
        c = await service.discard_contract(session, principal, contract_id, body.reason)
        return await service.contract_public(session, c)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.get(
    "/evidence-key",
    tags=["signatures"],
    response_model=EvidenceKey,
    summary="The public key that verifies evidence seals",
)
async def get_evidence_key(request: Request):
    sealer = sealer_of(request)
    return EvidenceKey(key_id=sealer.key_id, public_key_pem=sealer.public_pem)
