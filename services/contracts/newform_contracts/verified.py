"""Verified beats declared (M3, M9): the facts departments hold, and what follows when they contradict
what a platform declared.

The departments service publishes the facts departments state (`departments.*` events). Contracts keeps
its own copy of those it judges with (`verified_*` tables, fed by `on_events`) and applies them:

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

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock, deadlines
from newform_common.consumer import ConsumerRunner
from newform_common.events import Envelope
from newform_common.findings import FindingSpec, Severity, raise_finding
from newform_common.policy import business_date

from . import repository as repo
from . import rules
from .consumed import ContractSent, DispatchLicenceRecorded, EnterpriseRecordRecorded, InsuranceEnrolmentRecorded
from .models import Contract, VerifiedEnterprise, VerifiedInsurance, VerifiedLicence

#: The clock that moves liability to the platform on the first day a dispatch licence is invalid.
LICENCE_LAPSE = "contracts.dispatch_licence_lapse"

#: Insurance a platform declares in a contract's terms that a department's register can confirm.
VERIFIABLE_INSURANCE = ("work_injury", "occupational_injury")

UNQUALIFIED_STATUSES = ("revoked", "cancelled", "suspended")
PARTNER_KINDS = ("outsourcer", "franchisee", "agent")


# -- the checks, pure ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Enrolment:
    department: str
    reference: str
    fact_id: str
    insurance_type: str
    status: str
    start_date: date | None
    end_date: date | None
    observed_at: datetime

    def enrolled_on(self, day: date) -> bool:
        return (
            self.status == "enrolled"
            and (self.start_date is None or self.start_date <= day)
            and (self.end_date is None or day <= self.end_date)
        )


def covers(e: Enrolment, day: date) -> bool:
    return (e.start_date is None or e.start_date <= day) and (e.end_date is None or day <= e.end_date)


def latest_by_type(enrolments: list[Enrolment], day: date | None = None) -> dict[str, Enrolment]:
    """Per insurance type, the record that speaks for `day`: the latest statement among the records whose
    dates cover it (hrss and medins may both report; a record of an enrolment that ended in 2025, stated
    after the 2026 one, says nothing about 2026); with none covering it, the latest statement (an
    enrolment that ended, or has not begun: not enrolled that day)."""
    latest: dict[str, Enrolment] = {}
    ordered = sorted(enrolments, key=lambda e: e.observed_at)
    for e in ordered:
        latest[e.insurance_type] = e
    if day is not None:
        for e in ordered:
            if covers(e, day):
                latest[e.insurance_type] = e
    return latest


def declared_insurance_contradicted(
    declared: dict[str, Any], enrolments: list[Enrolment], on: date
) -> list[FindingSpec]:
    """M9: what the platform declared insured that the register's holder says is not (on `on`)."""
    found = []
    for kind, e in latest_by_type(enrolments, on).items():
        if kind in VERIFIABLE_INSURANCE and declared.get(kind) and not e.enrolled_on(on):
            found.append(
                FindingSpec(
                    "M9",
                    "M9.declared_insurance_not_enrolled",
                    Severity.high,
                    f"平台申报劳动者已参加{'工伤保险' if kind == 'work_injury' else '职业伤害保障'}，"
                    f"但{e.department}登记显示未参保（{e.reference}）",
                    {
                        "source": e.department,
                        "reference": e.reference,
                        "fact_id": e.fact_id,
                        "insurance_type": kind,
                        "declared": True,
                        "verified_status": e.status if e.status != "enrolled" else "not_in_force",
                        "checked_on": on.isoformat(),
                    },
                )
            )
    return found


LICENCE_STATE_ZH = {"revoked": "被吊销", "expired": "已过期", "not_yet_valid": "尚未生效"}


def licence_finding(
    licence: VerifiedLicence, invalid_from: date, start_date: date, reason: str | None = None
) -> FindingSpec:
    """M3: dispatch through an agency with no valid licence on a day of the contract: the platform bears
    the liability from that day (劳动合同法 art. 57, 劳务派遣行政许可实施办法)."""
    reason = reason or (
        "revoked" if licence.revoked_on is not None and licence.revoked_on <= licence.valid_until else "expired"
    )
    return FindingSpec(
        "M3",
        "M3.dispatch_licence_invalid",
        Severity.high,
        f"劳务派遣单位在{invalid_from.isoformat()}无有效劳务派遣许可证（{licence.licence_number}"
        f"{LICENCE_STATE_ZH[reason]}），自该日起由平台企业依法承担责任",
        {
            "source": licence.department,
            "reference": licence.reference,
            "fact_id": licence.fact_id,
            "licence": reason,
            "invalid_from": invalid_from.isoformat(),
            "start_date": start_date.isoformat(),
            "liable_party": "platform",
        },
    )


def first_invalid_day(licence: VerifiedLicence) -> date:
    return licence.effective_until + timedelta(days=1)


# M3 asks of a dispatch agency one question: did it hold *a* valid licence on day D? Licences are judged
# together, not one by one: a renewal under a new number (L1 ends 2025-12-31, L2 starts 2026-01-01)
# leaves no day unlicensed, and a licence that only starts later does not cover a day before it.
def licence_valid_on(licence, day: date) -> bool:
    return licence.valid_from <= day <= licence.effective_until


def licence_on(licences: list, day: date):
    """The licence valid on `day` (the one valid longest, if several), or None."""
    valid = [lic for lic in licences if licence_valid_on(lic, day)]
    return max(valid, key=lambda lic: lic.effective_until) if valid else None


def first_unlicensed_day(licences: list, start: date) -> date:
    """The first day from `start` on which the holder has no valid licence (following renewals)."""
    day = start
    while (held := licence_on(licences, day)) is not None:
        day = held.effective_until + timedelta(days=1)
    return day


def why_unlicensed(licences: list, day: date) -> tuple[Any, str]:
    """The licence a finding about an unlicensed `day` cites, and why: the one that ended the day before
    (revoked / expired), else one not yet valid then (`not_yet_valid`), else the last that ended."""
    ended = [lic for lic in licences if lic.effective_until < day]
    later = [lic for lic in licences if lic.valid_from > day]
    if ended and max(lic.effective_until for lic in ended) == day - timedelta(days=1) or ended and not later:
        last = max(ended, key=lambda lic: lic.effective_until)
        return last, "revoked" if last.revoked_on is not None and last.revoked_on <= last.valid_until else "expired"
    return min(later, key=lambda lic: lic.valid_from), "not_yet_valid"


# A market record speaks for the days it is in force: the question is the holder's status on day D, not
# which record was stated last (records of 2023 "suspended" and 2024 "active again" make 2026 qualified).
def record_on(records: list, day: date):
    """The enterprise record in force on `day`: the latest-starting among those valid on it (a record
    without dates is valid always), ties by the department's latest statement; None if none is."""
    valid = [
        r
        for r in records
        if (r.valid_from is None or r.valid_from <= day) and (r.valid_until is None or day <= r.valid_until)
    ]
    if not valid:
        return None
    return max(
        valid, key=lambda r: (r.valid_from or date.min, r.observed_at or datetime.min.replace(tzinfo=UTC), r.version)
    )


def partner_finding(record: VerifiedEnterprise, partner_kind: str, day: date | None = None) -> FindingSpec | None:
    """M3: a platform's outsourcer, franchisee or agent that market reports unqualified or struck off
    (by the record in force on `day`, `record_on`)."""
    if partner_kind not in PARTNER_KINDS:
        return None
    if record.qualified and record.registration_status not in UNQUALIFIED_STATUSES:
        return None
    return FindingSpec(
        "M3",
        "M3.unqualified_partner",
        Severity.high,
        "市场监管部门记录显示合作企业不具备合法经营资质，平台应承担相应责任",
        {
            "source": record.department,
            "reference": record.reference,
            "fact_id": record.fact_id,
            "registration_status": record.registration_status,
            "qualified": record.qualified,
            "partner_kind": partner_kind,
            "liable_party": "platform",
            **({"on": day.isoformat()} if day else {}),
        },
    )


def partner_findings(
    records: list[VerifiedEnterprise], partner_kind: str, c: Contract, today: date
) -> list[FindingSpec]:
    """M3 on a live contract: the partner's record in force on the contract's start, and on today if the
    contract has reached it — each day judged by the record in force that day."""
    days = [c.start_date] + ([today] if c.start_date < today and (c.end_date is None or today <= c.end_date) else [])
    found: dict[str, FindingSpec] = {}
    for day in days:
        record = record_on(records, day)
        spec = partner_finding(record, partner_kind, day) if record is not None else None
        if spec is not None:
            found.setdefault(record.fact_id, spec)
    return list(found.values())


# -- at drafting: the department's fact in place of the declaration ---------------------------------------
Sources = dict[str, dict[str, Any]]


def _cited(fact) -> dict[str, Any]:
    return {"source": fact.department, "reference": fact.reference, "fact_id": fact.fact_id}


def overlay(
    enterprise,
    partner: rules.PartnerFacts,
    insurance: rules.Insurance,
    start_date: date,
    *,
    licences: list[VerifiedLicence],
    records: list[VerifiedEnterprise],
    enrolments: list[VerifiedInsurance],
) -> tuple[rules.PartnerFacts, rules.Insurance, Sources]:
    """The partner's licence and qualification and the worker's insurance as the departments hold them,
    where they hold them (else as declared), and which rule then rests on which department's fact.
    `licences` (a dispatch agency's), `records` (the enterprise's) and `enrolments` (the worker's): the
    facts held (`repository.draft_facts`)."""
    sources: Sources = {}
    if enterprise.kind == "dispatch_agency" and licences:
        # The licence valid on the start date; without one, the holder is unlicensed that day.
        held = licence_on(licences, start_date)
        if held is not None:
            partner = replace(
                partner,
                dispatch_licence_number=held.licence_number,
                dispatch_licence_valid_from=held.valid_from,
                dispatch_licence_valid_until=first_unlicensed_day(licences, start_date) - timedelta(days=1),
            )
            sources["M3.dispatch_licence_invalid"] = _cited(held)
        else:
            cited, _ = why_unlicensed(licences, start_date)
            partner = replace(
                partner,
                dispatch_licence_number=cited.licence_number,
                dispatch_licence_valid_from=cited.valid_from,
                dispatch_licence_valid_until=cited.effective_until,
            )
            sources["M3.dispatch_licence_invalid"] = _cited(cited)
    in_force = record_on(records, start_date)
    if in_force is not None:
        partner = replace(
            partner, qualified=in_force.qualified and in_force.registration_status not in UNQUALIFIED_STATUSES
        )
        sources["M3.unqualified_partner"] = _cited(in_force)
    on = max(start_date, business_date(clock.now()))
    registered = latest_by_type([_enrolment(r) for r in enrolments], on)
    if "work_injury" in registered:
        e = registered["work_injury"]
        insurance = replace(insurance, work_injury=e.enrolled_on(on))
        sources["M9.work_injury_insurance"] = sources["M9.dispatched_worker_insurance"] = _cited(e)
    if "occupational_injury" in registered:
        e = registered["occupational_injury"]
        insurance = replace(insurance, occupational_injury=e.enrolled_on(on))
        sources["M9.platform_worker_protection"] = _cited(e)
    return partner, insurance, sources


def cite(specs: list[FindingSpec | None], sources: Sources) -> list[FindingSpec | None]:
    """Findings that rest on a department's fact say so (`evidence.source`, `reference`, `fact_id`)."""
    return [
        replace(s, evidence={**s.evidence, **sources[s.rule]}) if s is not None and s.rule in sources else s
        for s in specs
    ]


# -- applying facts ----------------------------------------------------------------------------------------
def _enrolment(row: VerifiedInsurance) -> Enrolment:
    return Enrolment(
        row.department,
        row.reference,
        row.fact_id,
        row.insurance_type,
        row.status,
        row.start_date,
        row.end_date,
        row.observed_at,
    )


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
            session, c, declared_insurance_contradicted(declared, [_enrolment(r) for r in rows], on)
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
    invalid_from = invalid_from or first_invalid_day(licence)
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
            session, c, [licence_finding(licence, max(invalid_from, c.start_date), c.start_date, reason)]
        )


async def _check_licences(session: AsyncSession, c: Contract, licences: list[VerifiedLicence], today: date) -> None:
    """M3 on the days of one contract so far: from its start, following renewals, the first day the agency
    held no valid licence (if that day has come) moves the liability to the platform."""
    if not licences:
        return
    day = first_unlicensed_day(licences, c.start_date)
    if day <= max(today, c.start_date) and (c.end_date is None or day <= c.end_date):
        cited, reason = why_unlicensed(licences, day)
        await _shift_liability(session, cited, [c], day, reason)


#: What `on_events` handles; the consumer passes over the rest.
HANDLED_TYPES = (
    InsuranceEnrolmentRecorded.event_type,
    DispatchLicenceRecorded.event_type,
    EnterpriseRecordRecorded.event_type,
    ContractSent.event_type,
)


async def on_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """departments.* facts into contracts' own copy, each applied to the contracts it concerns; and a
    contract sent, checked against the facts already held (in the consumer's inbox transaction)."""
    today = clock.today()
    for e in envelopes:
        if e.type == InsuranceEnrolmentRecorded.event_type:
            f = InsuranceEnrolmentRecorded.of(e)
            if not await _newer(session, VerifiedInsurance, f):
                continue
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
        elif e.type == DispatchLicenceRecorded.event_type:
            f = DispatchLicenceRecorded.of(e)
            if not await _newer(session, VerifiedLicence, f):
                continue
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
                if licence_on(licences, c.start_date) is None:
                    await _check_licences(session, c, licences, today)
            # The clock runs out at the start of the first invalid day (a past day: it fires at once).
            await deadlines.schedule(
                session,
                LICENCE_LAPSE,
                f.fact_id,
                deadlines.end_of_business_day(f.effective_until),
                data={"holder_credit_code": f.holder_credit_code, "version": f.version},
            )
        elif e.type == EnterpriseRecordRecorded.event_type:
            f = EnterpriseRecordRecorded.of(e)
            if not await _newer(session, VerifiedEnterprise, f):
                continue
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
            for c, partner in await repo.live_contracts_through(session, f.credit_code, PARTNER_KINDS):
                await _raise_on_contract(session, c, partner_findings(records, partner.kind, c, today))
        elif e.type == ContractSent.event_type:
            await check_contract(session, ContractSent.of(e).contract_id, today)


async def _newer(session: AsyncSession, model, fact) -> bool:
    """Only a newer statement replaces the copy (events of one fact may be redelivered)."""
    current = await repo.verified_version(session, model, fact.fact_id)
    return current is None or fact.version > current


async def check_contract(session: AsyncSession, contract_id: str, today: date) -> None:
    """A contract just sent, against the departments' facts already held about its worker and enterprise."""
    c, enterprise = await repo.contract_with_enterprise(session, contract_id)
    if c is None or c.status not in repo.LIVE_CONTRACT:
        return
    await _check_insurance(session, [c], today)
    if enterprise is None:
        return
    if enterprise.kind == "dispatch_agency":
        await _check_licences(session, c, await repo.verified_licences_of(session, enterprise.credit_code), today)
    records = await repo.verified_enterprise_records(session, enterprise.credit_code)
    await _raise_on_contract(session, c, partner_findings(records, enterprise.kind, c, today))


async def licence_lapsed(session: AsyncSession, deadline: deadlines.Deadline) -> None:
    """Deadline handler: the licence's first invalid day began; liability moves to the platforms."""
    licence = await repo.verified_licence(session, deadline.subject_id)
    if licence is None:
        return
    if deadlines.end_of_business_day(licence.effective_until) > deadline.due_at:
        return  # renewed since: a later clock of the same licence carries it
    if (
        licence_on(await repo.verified_licences_of(session, licence.holder_credit_code), first_invalid_day(licence))
        is not None
    ):
        return  # another licence (a renewal under a new number) is valid that day: no lapse
    contracts = [
        c for c, _ in await repo.live_contracts_through(session, licence.holder_credit_code, ("dispatch_agency",))
    ]
    await _shift_liability(session, licence, contracts)


DEADLINE_HANDLERS = {LICENCE_LAPSE: licence_lapsed}


def consumers(db, settings) -> list[ConsumerRunner]:
    """Departments' facts and contracts' own sent contracts, in one consumer (one order per worker key)."""
    # Only the types `on_events` acts on: every other contracts event (a draft, a signature…) would
    # otherwise cost an inbox row and a transaction for nothing.
    return [
        ConsumerRunner(
            db,
            settings.kafka_bootstrap_servers,
            group_id=f"{settings.service_name}-verified",
            topics=[settings.departments_topic, settings.topic],
            batch_handler=on_events,
            types=HANDLED_TYPES,
        )
    ]
