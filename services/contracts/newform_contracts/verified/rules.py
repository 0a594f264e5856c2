"""Verified beats declared (M3, M9): the checks on the facts departments hold, pure.

Which record speaks for day D — an enrolment (`latest_by_type`), a dispatch licence (`licence_on`,
following renewals: `first_unlicensed_day`), a market record (`record_on`) — what contradicts the
platform's declaration, and, at drafting, the department's fact in place of the declaration (`overlay`)
with the finding citing it (`cite`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from newform_common import clock
from newform_common.findings import FindingSpec, RuleDef, Severity
from newform_common.policy import business_date

from ..contracts import rules
from ..models import Contract, Enterprise, VerifiedEnterprise, VerifiedInsurance, VerifiedLicence

#: The rule this module adds (`M3.dispatch_licence_invalid` and `M3.unqualified_partner`, declared in
#: `contracts.rules`, are raised here too, on hrss's and market's facts).
RULES: tuple[RuleDef, ...] = (
    RuleDef(
        "M9.declared_insurance_not_enrolled",
        "finding",
        "the platform declared a worker insured; the department holding the register says not enrolled",
    ),
)

#: Insurance a platform declares in a contract's terms that a department's register can confirm.
VERIFIABLE_INSURANCE = ("work_injury", "occupational_injury")
UNQUALIFIED_STATUSES = ("revoked", "cancelled", "suspended")
PARTNER_KINDS = ("outsourcer", "franchisee", "agent")


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
def licence_valid_on(licence: VerifiedLicence, day: date) -> bool:
    return licence.valid_from <= day <= licence.effective_until


def licence_on(licences: list[VerifiedLicence], day: date) -> VerifiedLicence | None:
    """The licence valid on `day` (the one valid longest, if several), or None."""
    valid = [lic for lic in licences if licence_valid_on(lic, day)]
    return max(valid, key=lambda lic: lic.effective_until) if valid else None


def first_unlicensed_day(licences: list[VerifiedLicence], start: date) -> date:
    """The first day from `start` on which the holder has no valid licence (following renewals)."""
    day = start
    while (held := licence_on(licences, day)) is not None:
        day = held.effective_until + timedelta(days=1)
    return day


def why_unlicensed(licences: list[VerifiedLicence], day: date) -> tuple[VerifiedLicence, str]:
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
def record_on(records: list[VerifiedEnterprise], day: date) -> VerifiedEnterprise | None:
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
        if record is None:
            continue
        spec = partner_finding(record, partner_kind, day)
        if spec is not None:
            found.setdefault(record.fact_id, spec)
    return list(found.values())


# -- at drafting: the department's fact in place of the declaration ---------------------------------------
Sources = dict[str, dict[str, Any]]


def _cited(fact: VerifiedLicence | VerifiedEnterprise | Enrolment) -> dict[str, Any]:
    return {"source": fact.department, "reference": fact.reference, "fact_id": fact.fact_id}


def overlay(
    enterprise: Enterprise,
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
    registered = latest_by_type([enrolment(r) for r in enrolments], on)
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


def enrolment(row: VerifiedInsurance) -> Enrolment:
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
