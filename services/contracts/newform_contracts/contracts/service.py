"""Use cases of a contract's lifecycle after drafting (`drafting.py`) and besides signing
(`signatures.py`): send, discard, terminate, expire on its end date, and the declared licence's clock (M3).
Every move is checked against `models.ALLOWED` in one place (`move`). In the request's transaction (never
commits)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.auth import Principal
from newform_common.db import Database
from newform_common.errors import Conflict, Unprocessable
from newform_common.findings import raise_finding
from newform_common.identity import PiiDecryptError
from newform_common.outbox import record
from newform_common.states import require_transition

from .. import events as ev
from .. import shared
from ..enterprises import repository as enterprises
from ..models import ALLOWED, Contract, ContractStatus, ContractTransition
from ..pii import Pii, decrypt_document
from ..schemas import RowWith
from ..verified import repository as verified
from . import findings, repository, rules
from .schemas import ContractPublic


async def contract_public(session: AsyncSession, c: Contract) -> ContractPublic:
    """The contract row with who has signed it and its findings."""
    return ContractPublic.model_validate(
        RowWith(
            c, signed_by=await repository.signers(session, c.id), findings=await findings.contract_findings(session, c)
        )
    )


def transition_fields(c: Contract, at: datetime) -> dict:
    return {
        "contract_id": c.id,
        "worker_id": c.worker_id,
        "platform_id": c.platform_id,
        "enterprise_id": c.enterprise_id,
        "engagement_type": c.engagement_type,
        "at": at,
    }


def move(
    session: AsyncSession, c: Contract, to: ContractStatus, actor: str, at: datetime, reason: str | None = None
) -> None:
    """The one place a contract changes state: checked against `ALLOWED` (409 `illegal-transition`),
    recorded as a transition."""
    require_transition(ALLOWED, c.status, to, "contract")
    session.add(
        ContractTransition(contract_id=c.id, from_status=c.status, to_status=to, actor=actor, reason=reason, at=at)
    )
    c.status = to
    c.updated_at = at


async def send_contract(session: AsyncSession, principal: Principal, contract_id: str) -> Contract:
    c = await repository.visible_contract(session, principal, contract_id, for_update=True)
    at = shared.now()
    move(session, c, ContractStatus.sent, principal.key, at)
    record(session, ev.ContractSent(**transition_fields(c, at)))
    await findings.raise_held_findings(session, c)
    return c


async def discard_contract(session: AsyncSession, principal: Principal, contract_id: str, reason: str) -> Contract:
    """A draft never sent is abandoned: its provisional findings are withdrawn (never alerts)."""
    c = await repository.visible_contract(session, principal, contract_id, for_update=True)
    at = shared.now()
    move(session, c, ContractStatus.discarded, principal.key, at, reason)
    withdrawn = await findings.withdraw_held_findings(session, c.id)
    record(session, ev.ContractDiscarded(**transition_fields(c, at), withdrawn_findings=withdrawn))
    return c


def document_text(pii: Pii, c: Contract) -> str:
    try:
        return decrypt_document(pii, c.document_text)
    except PiiDecryptError as exc:
        raise Conflict(
            "The stored document does not authenticate: it was altered outside the service", slug="document-integrity"
        ) from exc


async def terminate_contract(
    session: AsyncSession, principal: Principal, contract_id: str, reason: str, at: datetime | None
) -> Contract:
    c = await repository.visible_contract(session, principal, contract_id, for_update=True)
    at = at or shared.now()
    if c.status == ContractStatus.signed:
        await _check_termination_order(session, c, at)
    move(session, c, ContractStatus.terminated, principal.key, at, reason)
    c.termination_reason = reason
    record(session, ev.ContractTerminated(**transition_fields(c, at), reason=reason))
    await deadlines.cancel(session, CONTRACT_END, c.id)
    await deadlines.cancel(session, DECLARED_LICENCE_LAPSE, c.id)
    return c


async def _check_termination_order(session: AsyncSession, c: Contract, at: datetime) -> None:
    """A termination follows the fact it ends — the contract's signing: not before its last signature.
    (Before the start date is possible: a signed contract rescinded before work begins, 协商一致解除;
    the employment report then never counts it.)"""
    last_signed = await repository.last_signed_at(session, c.id)
    if last_signed is not None and at < last_signed:
        problem = f"terminated_at {at.isoformat()} is before the contract was signed ({last_signed.isoformat()})"
        raise Unprocessable(
            problem,
            slug="date-out-of-order",
            errors=[{"loc": ["body", "terminated_at"], "msg": problem, "type": "date_order"}],
        )


#: The clock that ends a signed contract on its end date (a deadline, fired once; never on a read).
CONTRACT_END = "contracts.contract_end"


async def expire_contract(session: AsyncSession, deadline: deadlines.Deadline) -> None:
    """Deadline handler: a signed contract whose end date has passed becomes expired, with its event."""
    c = await repository.contract(session, deadline.subject_id, for_update=True)
    if c is None or c.status != ContractStatus.signed:
        return  # terminated in the meantime (its clock is normally cancelled with it)
    at = shared.now()
    move(session, c, ContractStatus.expired, "system:expiry", at, "end date passed")
    record(session, ev.ContractExpired(**transition_fields(c, at)))


#: The clock on a dispatch agency's declared licence running out during a signed contract (M3): on its
#: first invalid day the platform becomes liable and the finding is raised (verified/ does the same
#: for a licence hrss reports revoked or expired).
DECLARED_LICENCE_LAPSE = "contracts.declared_licence_lapse"


def _partner_facts(enterprise) -> rules.PartnerFacts:
    return rules.PartnerFacts(
        kind=enterprise.kind,
        dispatch_licence_number=enterprise.dispatch_licence_number,
        dispatch_licence_valid_until=enterprise.dispatch_licence_valid_until,
        qualified=enterprise.qualified,
    )


async def watch_declared_licence(session: AsyncSession, c: Contract) -> None:
    enterprise = await enterprises.enterprise(session, c.enterprise_id)
    if enterprise is None:
        return
    invalid_from = rules.licence_lapses_during(_partner_facts(enterprise), c.start_date, c.end_date)
    if invalid_from is not None:
        await deadlines.schedule(
            session,
            DECLARED_LICENCE_LAPSE,
            c.id,
            deadlines.end_of_business_day(invalid_from - timedelta(days=1)),
            data={"licence_valid_until": enterprise.dispatch_licence_valid_until.isoformat()},
        )


async def declared_licence_lapsed(session: AsyncSession, deadline: deadlines.Deadline) -> None:
    """Deadline handler: the declared licence's first invalid day began during a live contract."""
    c = await repository.contract(session, deadline.subject_id, for_update=True)
    if c is None or c.status != ContractStatus.signed:
        return
    enterprise = await enterprises.enterprise(session, c.enterprise_id)
    if await verified.verified_licences_of(session, enterprise.credit_code):
        return  # verified beats declared: hrss's licences decide the days (verified.service.licence_lapsed)
    partner = _partner_facts(enterprise)
    invalid_from = rules.licence_lapses_during(partner, c.start_date, c.end_date)
    if invalid_from is None or deadlines.end_of_business_day(invalid_from - timedelta(days=1)) > deadline.due_at:
        return  # the licence was renewed meanwhile: no lapse (or a later clock)
    await raise_finding(
        session,
        rules.dispatch_licence_lapsed(partner, invalid_from, c.start_date),
        subject_type="contract",
        subject_id=c.id,
        platform_id=c.platform_id,
        enterprise_id=c.enterprise_id,
        worker_id=c.worker_id,
        occupation=c.occupation,
        district=c.district,
    )


DEADLINE_HANDLERS = {CONTRACT_END: expire_contract, DECLARED_LICENCE_LAPSE: declared_licence_lapsed}


async def expire_due_now(db: Database) -> list[str]:
    """Fires every contract-end clock now due (the deadline worker does it anyway): the expired ids.
    Only this kind: the operator asked for expiries, not for the service's other clocks."""
    return [d.subject_id for d in await deadlines.fire_due(db, {CONTRACT_END: expire_contract})]
