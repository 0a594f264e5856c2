"""Use cases of collective contracts: draft → signed → submitted → in_force | returned; in_force → ended.

Two legal clocks, both counted by the kit's calendar from the day after the fact's own date:
- submission: the employer's side submits the text to hrss within 10 days of signing (集体合同规定
  art. 42) — run out, or a submission dated after it, is a finding (once: one debt, one case);
- review: in force if hrss raises no objection within 15 days of receipt (劳动合同法 art. 54, 集体合同
  规定 art. 47) — run out, the contract is in force on the next day; hrss may approve earlier, or object
  within the period (returned, with its reasons: art. 44).
In force (and ended) it is published for wages and contracts, which judge pay and quotas against it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import calendar, deadlines
from newform_common.auth import Principal, Role
from newform_common.deadlines import Deadline, DeadlinePublic
from newform_common.errors import Forbidden, NotFound
from newform_common.findings import raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.states import require_transition

from .. import events as ev
from .. import repository as repo
from .. import rules
from ..dates import last_day, not_before, now, refuse_if, require_past
from ..models import ALLOWED_CONTRACT, CollectiveContract, CollectiveContractStatus
from ..organisations.service import require_union_department
from ..schemas import CollectiveContractCreate, CollectiveContractPublic, Ending, Review, Revision, Signing, Submission

SUBMISSION_CLOCK = "unions.collective_contract.submission"
REVIEW_CLOCK = "unions.collective_contract.review"
EXPIRY_CLOCK = "unions.collective_contract.expiry"
CLOCKS = (SUBMISSION_CLOCK, REVIEW_CLOCK, EXPIRY_CLOCK)


def _move(cc: CollectiveContract, to: CollectiveContractStatus) -> None:
    require_transition(ALLOWED_CONTRACT, cc.status, to, "collective contract")
    cc.status = to
    cc.updated_at = now()


def _facts(cc: CollectiveContract) -> dict:
    return {
        "collective_contract_id": cc.id,
        "union_id": cc.union_id,
        "kind": cc.kind,
        "platform_ids": list(cc.platform_ids),
        "status": cc.status,
        "at": now(),
    }


def _require_party(principal: Principal, cc: CollectiveContract) -> None:
    """The union's side (the union department) or the employer's side (a platform it binds)."""
    if principal.role in (Role.platform, Role.enterprise) and principal.platform_id in cc.platform_ids:
        return
    if rules.is_union(principal):
        return
    raise Forbidden("A party to the collective contract (the union, or a platform it binds) records this")


async def public(session: AsyncSession, cc: CollectiveContract) -> CollectiveContractPublic:
    view = CollectiveContractPublic.model_validate(cc)
    for kind in CLOCKS:
        clock = await deadlines.live(session, kind, cc.id, for_update=False)
        if clock is not None:
            view.clocks.append(DeadlinePublic.of(clock))
    return view


async def create(session: AsyncSession, principal: Principal, body: CollectiveContractCreate) -> CollectiveContract:
    require_union_department(principal)
    union = await repo.union(session, body.union_id)
    if union is None:
        raise NotFound(f"No union {body.union_id!r}")
    refuse_if(
        rules.contract_parties(
            body.kind, union.platform_ids, union.districts, body.platform_ids, body.districts, body.sector_association
        )
    )
    at = now()
    cc = CollectiveContract(
        id=new_id("cc"),
        union_id=union.id,
        kind=body.kind,
        title=body.title,
        platform_ids=sorted(set(body.platform_ids)),
        sector_association=body.sector_association,
        districts=sorted(set(body.districts)),
        occupations=sorted(set(body.occupations)),
        effective_from=body.effective_from,
        effective_until=body.effective_until,
        terms=body.terms.model_dump(mode="json"),
        status=CollectiveContractStatus.draft,
        created_at=at,
        updated_at=at,
    )
    session.add(cc)
    return cc


async def sign(session: AsyncSession, principal: Principal, contract_id: str, body: Signing) -> CollectiveContract:
    cc = await repo.visible_collective_contract(session, principal, contract_id, for_update=True)
    _require_party(principal, cc)
    require_past("signed_on", body.signed_on)
    _move(cc, CollectiveContractStatus.signed)
    cc.signed_on = body.signed_on
    clock = await deadlines.schedule_period(
        session, SUBMISSION_CLOCK, cc.id, start=body.signed_on, days=rules.submission_days(body.signed_on)
    )
    record(session, ev.CollectiveContractSigned(**_facts(cc), signed_on=body.signed_on, submit_by=last_day(clock)))
    return cc


async def submit(session: AsyncSession, principal: Principal, contract_id: str, body: Submission) -> CollectiveContract:
    cc = await repo.visible_collective_contract(session, principal, contract_id, for_update=True)
    _require_party(principal, cc)
    received_on = body.received_on or body.submitted_on
    require_past("submitted_on", body.submitted_on)
    require_past("received_on", received_on)
    _move(cc, CollectiveContractStatus.submitted)
    assert cc.signed_on is not None  # a signed contract has its day
    not_before("submitted_on", body.submitted_on, cc.signed_on, "the signing of")
    not_before("received_on", received_on, body.submitted_on, "the submission of")
    clock = await deadlines.live(session, SUBMISSION_CLOCK, cc.id)
    submit_by = _submit_by(cc.signed_on)
    cc.submitted_on, cc.received_on = body.submitted_on, received_on
    cc.submitted_late = body.submitted_on > submit_by
    if clock is not None:
        await deadlines.cancel(session, SUBMISSION_CLOCK, cc.id)
        if cc.submitted_late:  # entered before its clock fired: the same finding, once
            await _raise_late(session, cc, submit_by)
    review = await deadlines.schedule_period(
        session, REVIEW_CLOCK, cc.id, start=received_on, days=rules.review_days(received_on)
    )
    record(
        session,
        ev.CollectiveContractSubmitted(
            **_facts(cc),
            submitted_on=body.submitted_on,
            received_on=received_on,
            objection_deadline=last_day(review),
            late=cc.submitted_late,
        ),
    )
    return cc


def _submit_by(signed_on: date) -> date:
    return calendar.period_end(signed_on, rules.submission_days(signed_on)).last_day


async def _raise_late(session: AsyncSession, cc: CollectiveContract, submit_by: date) -> None:
    assert cc.signed_on is not None
    spec = rules.submitted_late(cc.id, cc.signed_on, submit_by, cc.submitted_on)
    await raise_finding(
        session, spec, subject_type="collective_contract", subject_id=cc.id, platform_id=cc.platform_ids[0]
    )


async def review(session: AsyncSession, principal: Principal, contract_id: str, body: Review) -> CollectiveContract:
    if not rules.is_hrss(principal):
        raise Forbidden("hrss (the labour administration) reviews collective contracts (劳动合同法 art. 54)")
    cc = await repo.visible_collective_contract(session, principal, contract_id, for_update=True)
    require_past("on", body.on)
    if cc.status == CollectiveContractStatus.submitted:
        assert cc.received_on is not None
        not_before("on", body.on, cc.received_on, "the receipt of")
    if body.decision == "approve":
        _move(cc, CollectiveContractStatus.in_force)
        await deadlines.cancel(session, REVIEW_CLOCK, cc.id)
        await _enter_into_force(session, cc, body.on)
        return cc
    clock = await deadlines.live(session, REVIEW_CLOCK, cc.id)
    if clock is not None and cc.received_on is not None:
        refuse_if(rules.objection_in_time(cc.received_on, last_day(clock), body.on))
    _move(cc, CollectiveContractStatus.returned)
    await deadlines.cancel(session, REVIEW_CLOCK, cc.id)
    cc.objected_on, cc.objections = body.on, list(body.reasons)
    record(session, ev.CollectiveContractReturned(**_facts(cc), objected_on=body.on, reasons=list(body.reasons)))
    return cc


async def _enter_into_force(session: AsyncSession, cc: CollectiveContract, on: date) -> None:
    """In force from `on`: an older contract of the same union and kind binding the same platforms is
    superseded the day before; the expiry clock runs to the end of `effective_until`."""
    cc.in_force_on = on
    for old in await repo.in_force_binding(session, cc.union_id, cc.kind):
        if old.id != cc.id and set(old.platform_ids) & set(cc.platform_ids):
            last = max(on - timedelta(days=1), old.in_force_on or on)  # its last day, never before it began
            await _end(session, old, last, "superseded")
    if cc.effective_until is not None:
        await deadlines.schedule(session, EXPIRY_CLOCK, cc.id, deadlines.end_of_business_day(cc.effective_until))
    terms = {
        "piece_rates": cc.terms.get("piece_rates", []),
        "quotas": cc.terms.get("quotas", []),
        "bad_weather_allowance_fen_per_day": cc.terms.get("bad_weather_allowance_fen_per_day"),
        "night_allowance_fen_per_hour": cc.terms.get("night_allowance_fen_per_hour"),
    }
    record(
        session,
        ev.CollectiveContractInForce(
            collective_contract_id=cc.id,
            union_id=cc.union_id,
            kind=cc.kind,  # type: ignore[arg-type]
            platform_ids=list(cc.platform_ids),
            districts=list(cc.districts),
            occupations=list(cc.occupations),
            effective_from=cc.effective_from,
            effective_until=cc.effective_until,
            in_force_on=on,
            terms=ev.Terms.model_validate(terms),
        ),
    )


async def _end(session: AsyncSession, cc: CollectiveContract, ended_on: date, reason: str) -> None:
    _move(cc, CollectiveContractStatus.ended)
    cc.ended_on, cc.end_reason = ended_on, reason
    await deadlines.cancel(session, EXPIRY_CLOCK, cc.id)
    record(
        session,
        ev.CollectiveContractEnded(
            collective_contract_id=cc.id,
            ended_on=ended_on,
            reason=reason,  # type: ignore[arg-type]
            union_id=cc.union_id,
            platform_ids=list(cc.platform_ids),
        ),
    )


async def end(session: AsyncSession, principal: Principal, contract_id: str, body: Ending) -> CollectiveContract:
    cc = await repo.visible_collective_contract(session, principal, contract_id, for_update=True)
    if not (rules.is_union(principal) or rules.is_hrss(principal)):
        raise Forbidden("The union or hrss records the end of a collective contract")
    require_past("ended_on", body.ended_on)
    if cc.in_force_on is not None:
        not_before("ended_on", body.ended_on, cc.in_force_on, "the entry into force of")
    await _end(session, cc, body.ended_on, body.reason)
    return cc


# -- clocks --------------------------------------------------------------------------------------------
async def submission_overdue(session: AsyncSession, deadline: Deadline) -> None:
    """Not submitted within the period: a finding (the contract can still be submitted, late)."""
    cc = await repo.collective_contract(session, deadline.subject_id, for_update=True)
    if cc is None or cc.status != CollectiveContractStatus.signed or cc.signed_on is None:
        return
    await _raise_late(session, cc, last_day(deadline))


async def review_period_over(session: AsyncSession, deadline: Deadline) -> None:
    """No objection within the review period: in force on the day after its last day."""
    cc = await repo.collective_contract(session, deadline.subject_id, for_update=True)
    if cc is None or cc.status != CollectiveContractStatus.submitted:
        return
    _move(cc, CollectiveContractStatus.in_force)
    await _enter_into_force(session, cc, last_day(deadline) + timedelta(days=1))


async def expired(session: AsyncSession, deadline: Deadline) -> None:
    cc = await repo.collective_contract(session, deadline.subject_id, for_update=True)
    if cc is None or cc.status != CollectiveContractStatus.in_force or cc.effective_until is None:
        return
    await _end(session, cc, cc.effective_until, "expired")


async def revise(session: AsyncSession, principal: Principal, contract_id: str, body: Revision) -> CollectiveContract:
    """The parties renegotiate: a draft's terms change, or a returned contract goes back to draft with new
    terms (集体合同规定 art. 44: the parties consult again on hrss' objections), to be signed again."""
    require_union_department(principal)
    cc = await repo.visible_collective_contract(session, principal, contract_id, for_update=True)
    if cc.status != CollectiveContractStatus.draft:
        _move(cc, CollectiveContractStatus.draft)
    cc.terms = body.terms.model_dump(mode="json")
    cc.effective_from, cc.effective_until = body.effective_from, body.effective_until
    cc.signed_on = cc.submitted_on = cc.received_on = None
    cc.submitted_late = False
    cc.updated_at = now()
    return cc
