"""The policy's checks for unions, as pure functions over plain data (M17, M10).

Rejects return `Violation`s, findings return `FindingSpec`s, each citing its measure and legal
source (RULES.md lists them); numbers come from `get_policy().value(name, on=date)`, never from
literals. `RULES` lists every rule id this service can emit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from newform_common.auth import Principal, Role
from newform_common.findings import FindingSpec, RuleDef, Severity, Violation
from newform_common.policy import get_policy

#: The department that creates and keeps union organisations (总工会), and the one that reviews
#: collective contracts (劳动保障行政部门: 劳动合同法 art. 54).
UNION_DEPARTMENT = "union"
HRSS = "hrss"

RULES: tuple[RuleDef, ...] = (
    RuleDef("M17.union_does_not_cover", "reject", "a worker joins a union that covers their platform or district"),
    RuleDef("M17.not_registered_with_platform", "reject", "a worker joins through a platform they are registered with"),
    RuleDef("M17.contract_parties", "reject", "a collective contract binds platforms and districts its union covers"),
    RuleDef(
        "M17.date_in_future", "reject", "a date the law counts from (signing, receipt, objection) is not in the future"
    ),
    RuleDef("M17.objection_too_late", "reject", "hrss objects within 15 days of receipt, or the contract is in force"),
    RuleDef("M17.collective_contract_submitted_late", "finding", "submitted to hrss more than 10 days after signing"),
    RuleDef(
        "M10.consultation_unanswered", "finding", "a union's consultation request unanswered past the reply period"
    ),
    RuleDef(
        "M10.rule_published_during_consultation",
        "finding",
        "a rule version published while the covering union's consultation on it has no outcome",
    ),
)


def is_union(principal: Principal) -> bool:
    return principal.role == Role.admin or (
        principal.role == Role.department and principal.department == UNION_DEPARTMENT
    )


def is_hrss(principal: Principal) -> bool:
    return principal.role == Role.admin or (principal.role == Role.department and principal.department == HRSS)


def not_in_future(name: str, day: date, today: date) -> Violation | None:
    """Facts happen off-system: every date the law counts from is data, never later than today (DESIGN.md)."""
    if day > today:
        return Violation("M17", "M17.date_in_future", f"{name} {day.isoformat()} is in the future")
    return None


# -- membership (M17; 工会法 art. 3, 人社部发〔2021〕56号 item 10) ----------------------------------------
def union_covers(
    kind: str, platform_ids: list[str], districts: list[str], platform_id: str | None, district: str | None
) -> Violation | None:
    """A worker joins the union that covers their platform (单独/联合建会) or district (区域/行业建会)."""
    if platform_id is not None and platform_id in platform_ids:
        return None
    if district is not None and district in districts:
        return None
    where = f"platform {platform_id}" if platform_id else f"district {district}"
    return Violation("M17", "M17.union_does_not_cover", f"This {kind} union does not cover {where}")


def registered_with(platform_id: str | None, registered_platforms: set[str]) -> Violation | None:
    if platform_id is None or platform_id in registered_platforms:
        return None
    return Violation(
        "M17",
        "M17.not_registered_with_platform",
        f"No registration of this worker with platform {platform_id} is known (contracts' worker registrations)",
    )


# -- union coverage (M17; 宁政办〔2022〕41号 item 17, 人社部发〔2021〕56号 item 10), RULES.md -------------
@dataclass(frozen=True)
class ActiveRegistration:
    """A registration with a platform with no cancellation in effect (`contracts.account.restricted.v1` with
    `cancel`, not lifted by `contracts.account.restriction_lifted.v1`)."""

    registration_id: str
    worker_id: str
    platform_id: str
    residence_district: str | None
    registered_at: datetime


@dataclass(frozen=True)
class CoverageCount:
    """One row of the figure: its district (None: 未注明) or platform, members, registered workers."""

    key: str | None
    members: int
    registered_workers: int

    @property
    def percent(self) -> int | None:
        return coverage_percent(self.members, self.registered_workers)


def coverage_percent(members: int, registered_workers: int) -> int | None:
    """members × 100 ÷ registered workers, rounded down; None when nobody is registered."""
    return members * 100 // registered_workers if registered_workers else None


def _district_of_each_worker(registrations: Iterable[ActiveRegistration]) -> dict[str, str | None]:
    """Each registered worker's district: the residence district of their latest active registration
    (registered_at, then registration id), None when it names none."""
    latest: dict[str, ActiveRegistration] = {}
    for r in registrations:
        held = latest.get(r.worker_id)
        if held is None or (r.registered_at, r.registration_id) > (held.registered_at, held.registration_id):
            latest[r.worker_id] = r
    return {w: r.residence_district or None for w, r in latest.items()}


def union_coverage(
    registrations: Iterable[ActiveRegistration], members: Set[str], by: Literal["district", "platform"]
) -> list[CoverageCount]:
    """Union coverage (M17), the one definition (RULES.md "Union coverage"): registered workers are the
    people holding an active registration; members, those of them holding an active membership of any
    union (`members`: worker ids; a transfer counts once, a member registered nowhere is outside).
    `by="district"`: each person once, in their district (`_district_of_each_worker`), so the rows add up
    to the people; `by="platform"`: each platform's registered workers and its members among them, a person
    on two platforms in both rows (人次). Rows by key, 未注明 (None) last.

    The gateway computes the same figure in SQL over its read models
    (`services/gateway/newform_gateway/sources/unions/repository.py`, `coverage_by_district` and
    `coverage_by_platform`): a change here is a change there."""
    registrations = list(registrations)
    people: dict[str | None, set[str]] = defaultdict(set)
    if by == "district":
        for worker_id, district in _district_of_each_worker(registrations).items():
            people[district].add(worker_id)
    else:
        for r in registrations:
            people[r.platform_id].add(r.worker_id)
    keys = sorted(people, key=lambda k: (k is None, k or ""))
    return [CoverageCount(k, sum(1 for w in people[k] if w in members), len(people[k])) for k in keys]


# -- collective contracts (M17; 劳动合同法 arts. 51–56, 集体合同规定 arts. 42, 44, 47) -------------------
def contract_parties(
    kind: str,
    union_platforms: list[str],
    union_districts: list[str],
    platform_ids: list[str],
    districts: list[str],
    sector_association: str | None,
) -> Violation | None:
    """An enterprise contract binds one platform the union covers (劳动合同法 art. 51); a sector or district
    contract is signed with a sector association or the district's enterprises (art. 53) and binds only
    platforms and districts within the union's cover."""
    if kind == "enterprise" and len(platform_ids) != 1:
        return Violation("M17", "M17.contract_parties", "An enterprise collective contract binds exactly one platform")
    if kind == "sector" and not sector_association:
        return Violation("M17", "M17.contract_parties", "A sector collective contract names the sector association")
    if kind == "district" and not districts:
        return Violation("M17", "M17.contract_parties", "A district collective contract names its districts")
    outside = [p for p in platform_ids if p not in union_platforms]
    if outside and kind == "enterprise":
        return Violation("M17", "M17.contract_parties", f"The union does not cover platform(s) {outside}")
    stray = [d for d in districts if union_districts and d not in union_districts]
    if stray:
        return Violation("M17", "M17.contract_parties", f"The union does not cover district(s) {stray}")
    return None


def submission_days(on: date) -> int:
    """集体合同规定 art. 42: the employer's side submits the text to hrss within 10 days of signing."""
    days: int = get_policy().value("unions.collective_contract.submit_within_days", on)
    return days


def review_days(on: date) -> int:
    """劳动合同法 art. 54, 集体合同规定 art. 47: in force unless hrss objects within 15 days of receipt."""
    days: int = get_policy().value("unions.collective_contract.review_days", on)
    return days


def reply_days(on: date) -> int:
    """The platform's reply period to a union's request to consult (集体合同规定 art. 32, by analogy)."""
    days: int = get_policy().value("unions.consultation.reply_days", on)
    return days


def submitted_late(contract_id: str, signed_on: date, submit_by: date, submitted_on: date | None) -> FindingSpec:
    """Not submitted by the last day of the period (the clock fired), or submitted after it."""
    when = f"submitted on {submitted_on.isoformat()}" if submitted_on else "not submitted"
    return FindingSpec(
        measure="M17",
        rule="M17.collective_contract_submitted_late",
        severity=Severity.medium,
        summary=f"Collective contract {contract_id} signed on {signed_on.isoformat()} was {when}; "
        f"it was due at hrss by {submit_by.isoformat()} (集体合同规定 art. 42)",
        evidence={
            "collective_contract_id": contract_id,
            "signed_on": signed_on.isoformat(),
            "submit_by": submit_by.isoformat(),
            "submitted_on": submitted_on.isoformat() if submitted_on else None,
            "legal_source": "集体合同规定 art. 42; 劳动合同法 art. 54",
        },
        fact_on=signed_on,
    )


def objection_in_time(received_on: date, objection_deadline: date, objected_on: date) -> Violation | None:
    if objected_on < received_on or objected_on > objection_deadline:
        return Violation(
            "M17",
            "M17.objection_too_late",
            f"An objection counts within the review period: received {received_on.isoformat()}, "
            f"last day {objection_deadline.isoformat()} (劳动合同法 art. 54, 集体合同规定 art. 47)",
        )
    return None


# -- consultation on rules (M10; 劳动合同法 art. 4) -----------------------------------------------------
def consultation_unanswered(
    consultation_id: str, platform_id: str, topic: str, requested_on: date, reply_due_on: date
) -> FindingSpec:
    return FindingSpec(
        measure="M10",
        rule="M10.consultation_unanswered",
        severity=Severity.medium,
        summary=f"Platform {platform_id} did not answer the union's request of {requested_on.isoformat()} to consult "
        f"on its {topic} rules by {reply_due_on.isoformat()}",
        evidence={
            "consultation_id": consultation_id,
            "topic": topic,
            "requested_on": requested_on.isoformat(),
            "reply_due_on": reply_due_on.isoformat(),
            "legal_source": "劳动合同法 art. 4; 集体合同规定 art. 32; 宁政办〔2022〕41号 item 10",
        },
        fact_on=requested_on,
    )


@dataclass(frozen=True)
class OpenRequest:
    """A union's consultation request on a platform's topic, as the rule below needs it."""

    consultation_id: str
    union_id: str
    base_version: int | None
    requested_on: date
    concluded_on: date | None


@dataclass(frozen=True)
class PublishedVersion:
    notice_id: str
    platform_id: str
    topic: str
    version: int
    published_on: date


def published_during_consultation(request: OpenRequest, rule: PublishedVersion) -> FindingSpec | None:
    """A rule version published on or after the day the covering union asked to be consulted on that
    platform's topic, newer than the version it named, while the consultation had no outcome on the
    publication day (concluded later, or not at all). 劳动合同法 art. 4: rules directly concerning
    workers' interests are settled after discussion with the union or worker representatives; where the
    union finds one unsuitable while it is applied, it may ask to amend it through consultation."""
    if rule.published_on < request.requested_on:
        return None
    if request.base_version is not None and rule.version <= request.base_version:
        return None
    if request.concluded_on is not None and request.concluded_on <= rule.published_on:
        return None
    return FindingSpec(
        measure="M10",
        rule="M10.rule_published_during_consultation",
        severity=Severity.high,
        summary=f"Platform {rule.platform_id} published version {rule.version} of its {rule.topic} rules on "
        f"{rule.published_on.isoformat()} while the union's consultation of {request.requested_on.isoformat()} "
        "had no outcome (劳动合同法 art. 4)",
        evidence={
            "consultation_id": request.consultation_id,
            "union_id": request.union_id,
            "notice_id": rule.notice_id,
            "topic": rule.topic,
            "version": rule.version,
            "published_on": rule.published_on.isoformat(),
            "requested_on": request.requested_on.isoformat(),
            "legal_source": "劳动合同法 art. 4; 宁政办〔2022〕41号 item 10",
        },
        fact_on=rule.published_on,
    )
