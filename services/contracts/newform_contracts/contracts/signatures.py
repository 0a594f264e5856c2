"""Use cases of signatures (M4): a party signs — the worker only with their own token — as a record in a
hash chain sealed with the service's key (`evidence.py`); both signed, the contract is signed and its
clocks start. And the verification of that chain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.auth import Principal
from newform_common.errors import Conflict, Forbidden
from newform_common.identity import PiiDecryptError
from newform_common.outbox import record
from newform_common.scope import PLATFORM_ROLES

from .. import events as ev
from .. import shared
from ..models import SIGNED_CONTRACT, Contract, ContractStatus, EvidenceRecord, new_id
from ..pii import Pii, decrypt_document
from . import repository, service
from .evidence import Sealer, record_body, verify
from .schemas import SignatureCreate


async def sign_contract(
    session: AsyncSession, principal: Principal, sealer: Sealer, contract_id: str, body: SignatureCreate
) -> EvidenceRecord:
    c = await repository.visible_contract(session, principal, contract_id, for_update=True)
    # M4: consent is the worker's own act. Only the worker's token signs as the worker, and the
    # signature records when the service received it, not a time the caller claims.
    if body.signer == "worker" and principal.worker_id != c.worker_id:
        raise Forbidden("Only the worker, with their own worker token, can sign as the worker", slug="not-the-worker")
    if body.signer == "enterprise" and principal.role not in PLATFORM_ROLES:
        raise Forbidden("Only the platform or enterprise can sign as the enterprise")
    if c.status != ContractStatus.sent:
        raise Conflict(f"Only a sent contract can be signed; this one is {c.status}", slug="illegal-transition")
    existing = await repository.evidence_records(session, c.id)
    if any(r.signer == body.signer for r in existing):
        raise Conflict(f"The {body.signer} has already signed this contract")
    signed_at = shared.now() if body.signer == "worker" else min(body.signed_at or shared.now(), shared.now())
    seq = len(existing) + 1
    previous = existing[-1].record_hash if existing else None
    content = record_body(
        contract_id=c.id,
        seq=seq,
        document_sha256=c.document_sha256,
        signer=body.signer,
        intent=body.intent,
        signed_at=signed_at,
        previous_hash=previous,
    )
    record_hash, seal = sealer.seal(content)
    evidence = EvidenceRecord(
        id=new_id("sig"),
        contract_id=c.id,
        seq=seq,
        document_sha256=c.document_sha256,
        signer=body.signer,
        intent=body.intent,
        signed_at=signed_at,
        previous_hash=previous,
        record_hash=record_hash,
        seal=seal,
        key_id=sealer.key_id,
    )
    session.add(evidence)
    signers = sorted({r.signer for r in existing} | {body.signer})
    if signers == ["enterprise", "worker"]:
        at = shared.now()
        service.move(session, c, ContractStatus.signed, principal.key, at)
        record(
            session,
            ev.ContractSigned(**service.transition_fields(c, at), document_sha256=c.document_sha256, signed_by=signers),
        )
        if c.end_date is not None:
            await deadlines.schedule(session, service.CONTRACT_END, c.id, deadlines.end_of_business_day(c.end_date))
        await service.watch_declared_licence(session, c)
    return evidence


async def verify_evidence(session: AsyncSession, sealer: Sealer, c: Contract, pii: Pii) -> list[str]:
    records = []
    for r in await repository.evidence_records(session, c.id):
        body = record_body(
            contract_id=r.contract_id,
            seq=r.seq,
            document_sha256=r.document_sha256,
            signer=r.signer,
            intent=r.intent,
            signed_at=r.signed_at,
            previous_hash=r.previous_hash,
        )
        records.append({**body, "record_hash": r.record_hash, "seal": r.seal})
    try:
        text_as_stored = decrypt_document(pii, c.document_text)
    except PiiDecryptError:
        text_as_stored = None
    problems = verify(
        document_text=text_as_stored or "",
        document_sha256=c.document_sha256,
        records=records,
        public_key=sealer.public_key,
    )
    if text_as_stored is None:
        problems.insert(0, "the stored document does not authenticate (altered outside the service)")
    if c.status in SIGNED_CONTRACT and len(records) < 2:
        problems.append("the contract is marked signed but lacks a party's signature record")
    return problems
