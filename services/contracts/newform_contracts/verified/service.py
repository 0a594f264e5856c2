"""Verified beats declared (M3, M9): the facts departments hold, and what follows when they contradict
what a platform declared.

The departments service publishes the facts departments state (`departments.*` events). Contracts keeps
its own copy of those it judges with (`verified_*` tables, fed by `handlers.on_departments_events`)
and applies them (the checks themselves are pure, in `rules.py`):

* a worker the platform declared insured (work injury / occupational injury) whom the register's holder
  (hrss, medins) reports not enrolled → `M9.declared_insurance_not_enrolled`, evidence `source` = that
  department; checked when the fact arrives (against the worker's live contracts) and when a contract is
  sent (against facts already held);
* a dispatch licence revoked or expiring → on the first day it is invalid (a deadline of kind
  `LICENCE_LAPSE`, fired by the kit's worker) every live contract through its holder moves to the platform's
  liability (`verified_liability`) with `M3.dispatch_licence_invalid`, `source` = hrss; a contract sent
  through an agency whose licence already lapsed is judged the same way at once;
* an enterprise market reports unqualified or struck off, to which a platform outsources or franchises
  → `M3.unqualified_partner`, `source` = market.

Facts for a worker or enterprise contracts does not know yet are kept and apply when the subject appears.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.findings import FindingSpec, raise_finding

from ..consumed import DispatchLicenceRecorded, EnterpriseRecordRecorded, InsuranceEnrolmentRecorded
from ..models import LIVE_CONTRACT, Contract, VerifiedEnterprise, VerifiedInsurance, VerifiedLicence
from . import repository as repo
from . import rules

#: The clock that moves liability to the platform on the first day a dispatch licence is invalid.
LICENCE_LAPSE = "contracts.dispatch_licence_lapse"


# -- applying facts ----------------------------------------------------------------------------------------
async def _raise_on_contract(session: AsyncSession, c: Contract, specs: list[FindingSpec]) -> None:
    await repo.lock_findings_on_facts(session, c.id, specs)  # see repository.lock_findings_on_facts
    for spec in specs:
        if await repo.finding_on_fact_exists(session, spec.rule, c.id, spec.evidence["fact_id"]):
            continue
        await raise_finding(
            session,
            spec,
            subject_type="contract",
            subject_id=c.id,
            platform_id=c.platform_id,
            enterprise_id=c.enterprise_id,
            worker_id=c.worker_id,
            occupation=c.occupation,
            district=c.district,
            engagement_type=c.engagement_type,
        )


async def _check_insurance(session: AsyncSession, contracts: list[Contract], today: date) -> None:
    for c in contracts:
        rows = await repo.verified_insurance_of(session, c.worker_id)
        declared = (c.terms or {}).get("insurance", {})
        on = max(today, c.start_date)
        await _raise_on_contract(
            session, c, rules.declared_insurance_contradicted(declared, [rules.enrolment(r) for r in rows], on)
        )


async def _shift_liability(
    session: AsyncSession,
    licence: VerifiedLicence,
    contracts: list[Contract],
    invalid_from: date | None = None,
    reason: str | None = None,
) -> None:
    """From the first day the holder has no valid licence, the platform is liable for each live contract
    through it (a contract that starts on an unlicensed day: from its start)."""
    invalid_from = invalid_from or rules.first_invalid_day(licence)
    reason = reason or (
        "revoked" if licence.revoked_on is not None and licence.revoked_on <= licence.valid_until else "expired"
    )
    affected = [c for c in contracts if c.end_date is None or c.end_date >= invalid_from]
    await repo.record_liability(
        session,
        [
            {
                "contract_id": c.id,
                "fact_id": licence.fact_id,
                "liable_party": "platform",
                "since": max(invalid_from, c.start_date),
                "source": licence.department,
                "reference": licence.reference,
                "reason": reason,
            }
            for c in affected
        ],
    )
    for c in affected:
        await _raise_on_contract(
            session, c, [rules.licence_finding(licence, max(invalid_from, c.start_date), c.start_date, reason)]
        )


async def _check_licences(session: AsyncSession, c: Contract, licences: list[VerifiedLicence], today: date) -> None:
    """M3 on the days of one contract so far: from its start, following renewals, the first day the agency
    held no valid licence (if that day has come) moves the liability to the platform."""
    if not licences:
        return
    day = rules.first_unlicensed_day(licences, c.start_date)
    if day <= max(today, c.start_date) and (c.end_date is None or day <= c.end_date):
        cited, reason = rules.why_unlicensed(licences, day)
        await _shift_liability(session, cited, [c], day, reason)


# -- a department states a fact (`handlers.on_departments_events`) ---------------------------------------------
async def insurance_stated(session: AsyncSession, f: InsuranceEnrolmentRecorded, today: date) -> None:
    """hrss or medins stated a worker's enrolment: kept, and judged against the worker's live contracts."""
    if not await _newer(session, VerifiedInsurance, f):
        return
    await repo.save_verified(
        session,
        VerifiedInsurance,
        {
            "fact_id": f.fact_id,
            "worker_id": f.worker_id,
            "insurance_type": f.insurance_type,
            "status": f.status,
            "department": f.department,
            "reference": f.reference,
            "start_date": f.start_date,
            "end_date": f.end_date,
            "version": f.version,
            "observed_at": f.observed_at,
        },
    )
    await _check_insurance(session, await repo.live_contracts_of_worker(session, f.worker_id), today)


async def licence_stated(session: AsyncSession, f: DispatchLicenceRecorded, today: date) -> None:
    """hrss stated a dispatch licence: kept, judged at once on the live contracts whose start it does not
    cover, and its lapse clocked."""
    if not await _newer(session, VerifiedLicence, f):
        return
    await repo.save_verified(
        session,
        VerifiedLicence,
        {
            "fact_id": f.fact_id,
            "licence_number": f.licence_number,
            "holder_credit_code": f.holder_credit_code,
            "valid_from": f.valid_from,
            "valid_until": f.valid_until,
            "revoked_on": f.revoked_on,
            "effective_until": f.effective_until,
            "department": f.department,
            "reference": f.reference,
            "version": f.version,
        },
    )
    # A licence that is not (yet) valid on a live contract's start is a finding now, not at its expiry.
    licences = await repo.verified_licences_of(session, f.holder_credit_code)
    for c, _ in await repo.live_contracts_through(session, f.holder_credit_code, ("dispatch_agency",)):
        if rules.licence_on(licences, c.start_date) is None:
            await _check_licences(session, c, licences, today)
    # The clock runs out at the start of the first invalid day (a past day: it fires at once).
    await deadlines.schedule(
        session,
        LICENCE_LAPSE,
        f.fact_id,
        deadlines.end_of_business_day(f.effective_until),
        data={"holder_credit_code": f.holder_credit_code, "version": f.version},
    )


async def enterprise_record_stated(session: AsyncSession, f: EnterpriseRecordRecorded, today: date) -> None:
    """market stated an enterprise's record: kept, and judged on the live contracts through that partner."""
    if not await _newer(session, VerifiedEnterprise, f):
        return
    await repo.save_verified(
        session,
        VerifiedEnterprise,
        {
            "fact_id": f.fact_id,
            "credit_code": f.credit_code,
            "registration_status": f.registration_status,
            "qualified": f.qualified,
            "department": f.department,
            "reference": f.reference,
            "version": f.version,
            "valid_from": f.valid_from,
            "valid_until": f.valid_until,
            "observed_at": f.observed_at,
        },
    )
    records = await repo.verified_enterprise_records(session, f.credit_code)
    for c, partner in await repo.live_contracts_through(session, f.credit_code, rules.PARTNER_KINDS):
        await _raise_on_contract(session, c, rules.partner_findings(records, partner.kind, c, today))


async def _newer(session: AsyncSession, model, fact) -> bool:
    """Only a newer statement replaces the copy (events of one fact may be redelivered)."""
    current = await repo.verified_version(session, model, fact.fact_id)
    return current is None or fact.version > current


# -- a contract sent (`handlers.on_contracts_events`) and the licence's clock -------------------------------
async def check_contract(session: AsyncSession, contract_id: str, today: date) -> None:
    """A contract just sent, against the departments' facts already held about its worker and enterprise."""
    c, enterprise = await repo.contract_with_enterprise(session, contract_id)
    if c is None or c.status not in LIVE_CONTRACT:
        return
    await _check_insurance(session, [c], today)
    if enterprise is None:
        return
    if enterprise.kind == "dispatch_agency":
        await _check_licences(session, c, await repo.verified_licences_of(session, enterprise.credit_code), today)
    records = await repo.verified_enterprise_records(session, enterprise.credit_code)
    await _raise_on_contract(session, c, rules.partner_findings(records, enterprise.kind, c, today))


async def licence_lapsed(session: AsyncSession, deadline: deadlines.Deadline) -> None:
    """Deadline handler: the licence's first invalid day began; liability moves to the platforms."""
    licence = await repo.verified_licence(session, deadline.subject_id)
    if licence is None:
        return
    if deadlines.end_of_business_day(licence.effective_until) > deadline.due_at:
        return  # renewed since: a later clock of the same licence carries it
    if (
        rules.licence_on(
            await repo.verified_licences_of(session, licence.holder_credit_code), rules.first_invalid_day(licence)
        )
        is not None
    ):
        return  # another licence (a renewal under a new number) is valid that day: no lapse
    contracts = [
        c for c, _ in await repo.live_contracts_through(session, licence.holder_credit_code, ("dispatch_agency",))
    ]
    await _shift_liability(session, licence, contracts)


DEADLINE_HANDLERS = {LICENCE_LAPSE: licence_lapsed}
