"""The findings on a contract (M1, M3, M9): the fact is accepted and flagged for the regulator.

Pure functions over plain data: the partner's licence and qualification, the worker's insurance, the
worker's other full-time labour contracts. Where a department holds the fact, `verified.rules.overlay`
puts it in place of the declaration before these run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from newform_common.findings import FindingSpec, RuleDef, Severity

#: The rule ids this module emits (`newform_contracts.rules.RULES` gathers every aggregate's).
RULES: tuple[RuleDef, ...] = (
    RuleDef("M3.dispatch_licence_invalid", "finding", "dispatch agency without a valid licence"),
    RuleDef("M3.unqualified_partner", "finding", "outsourcer, franchisee or agent without the qualification"),
    RuleDef("M9.work_injury_insurance", "finding", "labour contract without work-injury insurance"),
    RuleDef("M9.dispatched_worker_insurance", "finding", "dispatched worker without work-injury insurance"),
    RuleDef(
        "M9.platform_worker_protection",
        "finding",
        "platform worker with neither occupational-injury protection nor accident insurance",
    ),
    RuleDef("M1.overlapping_full_time_contract", "finding", "two overlapping full-time labour contracts"),
)


@dataclass(frozen=True)
class PartnerFacts:
    kind: str
    dispatch_licence_number: str | None = None
    dispatch_licence_valid_until: date | None = None
    qualified: bool = True
    #: The first day the licence is valid (hrss's record; a declaration names only the last).
    dispatch_licence_valid_from: date | None = None


def dispatch_licence_invalid(partner: PartnerFacts, start_date: date) -> FindingSpec | None:
    """M3.dispatch_licence_invalid: dispatch through an agency whose licence is missing or expired on
    the start date; the platform bears the liability."""
    if partner.kind != "dispatch_agency":
        return None
    valid_until, valid_from = partner.dispatch_licence_valid_until, partner.dispatch_licence_valid_from
    not_yet = valid_from is not None and valid_from > start_date
    if partner.dispatch_licence_number and valid_until is not None and valid_until >= start_date and not not_yet:
        return None
    state = (
        "missing"
        if not partner.dispatch_licence_number or valid_until is None
        else "not_yet_valid"
        if not_yet
        else "expired"
    )
    return FindingSpec(
        "M3",
        "M3.dispatch_licence_invalid",
        Severity.high,
        "劳务派遣单位无有效劳务派遣许可证，由平台企业依法承担责任",
        {
            "licence": state,
            "licence_valid_until": valid_until.isoformat() if valid_until else None,
            "start_date": start_date.isoformat(),
            "liable_party": "platform",
        },
    )


def licence_lapses_during(partner: PartnerFacts, start_date: date, end_date: date | None) -> date | None:
    """The first day a dispatch agency's declared licence is no longer valid, if that day falls within
    the contract's term (M3): from then the platform bears the liability, so a clock waits for it.
    None when the licence outlasts the term, or was already invalid at the start (flagged at drafting)."""
    valid_until = partner.dispatch_licence_valid_until
    if partner.kind != "dispatch_agency" or not partner.dispatch_licence_number or valid_until is None:
        return None
    first_invalid = valid_until + timedelta(days=1)
    if valid_until < start_date or (end_date is not None and first_invalid > end_date):
        return None
    return first_invalid


def dispatch_licence_lapsed(partner: PartnerFacts, invalid_from: date, start_date: date) -> FindingSpec:
    """M3.dispatch_licence_invalid, raised when a declared licence runs out during a signed contract."""
    return FindingSpec(
        "M3",
        "M3.dispatch_licence_invalid",
        Severity.high,
        f"劳务派遣单位的劳务派遣许可证于合同期内到期，自{invalid_from.isoformat()}起由平台企业依法承担责任",
        {
            "licence": "expired_during_term",
            "licence_valid_until": partner.dispatch_licence_valid_until.isoformat()
            if partner.dispatch_licence_valid_until
            else None,
            "invalid_from": invalid_from.isoformat(),
            "start_date": start_date.isoformat(),
            "liable_party": "platform",
            "source": "declared",
        },
    )


def unqualified_partner(partner: PartnerFacts) -> FindingSpec | None:
    """M3.unqualified_partner: work outsourced, franchised or organised through an agent (代理商, the
    measures' 用工合作企业) without the qualification its business needs."""
    if partner.kind in ("outsourcer", "franchisee", "agent") and not partner.qualified:
        return FindingSpec(
            "M3",
            "M3.unqualified_partner",
            Severity.high,
            "平台将业务外包、加盟或代理给不具备合法经营资质的企业，平台应承担相应责任",
            {"partner_kind": partner.kind, "liable_party": "platform"},
        )
    return None


@dataclass(frozen=True)
class Insurance:
    work_injury: bool = False
    occupational_injury: bool = False
    accident: bool = False


def insurance_findings(engagement_type: str, partner_kind: str, insurance: Insurance) -> list[FindingSpec]:
    """M9: labour contract ⇒ work-injury insurance; a dispatched worker ⇒ the agency insures him;
    a platform worker without a labour contract ⇒ occupational-injury protection or accident insurance."""
    ins = {
        "work_injury": insurance.work_injury,
        "occupational_injury": insurance.occupational_injury,
        "accident": insurance.accident,
    }
    if partner_kind == "dispatch_agency":
        if not insurance.work_injury:
            return [
                FindingSpec(
                    "M9",
                    "M9.dispatched_worker_insurance",
                    Severity.high,
                    "劳务派遣单位未为被派遣劳动者参加工伤保险",
                    {"insurance": ins},
                )
            ]
        return []
    if engagement_type == "labor_contract":
        if not insurance.work_injury:
            return [
                FindingSpec(
                    "M9", "M9.work_injury_insurance", Severity.high, "建立劳动关系但未参加工伤保险", {"insurance": ins}
                )
            ]
        return []
    if not insurance.occupational_injury and not insurance.accident:
        return [
            FindingSpec(
                "M9",
                "M9.platform_worker_protection",
                Severity.medium,
                "平台劳动者既无职业伤害保障也无意外伤害保险",
                {"insurance": ins},
            )
        ]
    return []


@dataclass(frozen=True)
class Span:
    start: date
    end: date | None

    def overlaps(self, other: Span) -> bool:
        return (self.end is None or other.start <= self.end) and (other.end is None or self.start <= other.end)


def overlapping_full_time_contract(
    engagement_type: str, part_time: bool, span: Span, active_full_time_labor: list[Span]
) -> FindingSpec | None:
    """M1.overlapping_full_time_contract: a second full-time labour contract overlapping an active one
    (only part-time workers may have several employers)."""
    if engagement_type != "labor_contract" or part_time:
        return None
    overlapping = [s for s in active_full_time_labor if s.overlaps(span)]
    if not overlapping:
        return None
    return FindingSpec(
        "M1",
        "M1.overlapping_full_time_contract",
        Severity.medium,
        "劳动者已有在履行的全日制劳动合同，又订立期间重叠的全日制劳动合同",
        {"overlapping_contracts": len(overlapping)},
    )
