"""M13 (优化职业技能培训服务): who may be paid a skills subsidy, how much, and to whom — pure functions.

A subsidy is paid once per person, occupation and level, to the right party: the enterprise that
trained and claims, or else the worker; never both. Each check returns a `Violation` (the claim is
refused, with the measure and rule) or None; numbers come from the policy data by date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from newform_common.auth import DISTRICT_GOVERNMENT, Principal, Role
from newform_common.findings import FindingSpec, RuleDef, Severity, Violation
from newform_common.policy import get_policy

#: Who reviews and pays subsidies (M13's lead unit).
REVIEWERS = ("hrss", "finance")


def is_reviewer(principal: Principal) -> bool:
    return principal.role == Role.admin or (principal.role == Role.department and principal.department in REVIEWERS)


def district_scope(principal: Principal) -> str | None:
    """A district government sees its own district's claims and budget only (a token without its district
    is refused by the kit before it gets here)."""
    if principal.role == Role.department and principal.department == DISTRICT_GOVERNMENT:
        return principal.district
    return None


#: Skill levels of the national vocational qualification: 5 is the lowest (五级/初级工), 1 the highest.
LEVELS = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师"}

RULES: tuple[RuleDef, ...] = (
    RuleDef(
        "M13.certificate_not_recognised",
        "reject",
        "a certificate from a body not recognised for that occupation and level is not issued or paid",
    ),
    RuleDef("M13.claim_window_passed", "reject", "a claim comes within the window after the certificate's date"),
    RuleDef(
        "M13.training_place_not_eligible",
        "reject",
        "training took place at the worker's household-registration, residence or job-seeking place",
    ),
    RuleDef("M13.already_subsidised", "reject", "never the same occupation and level twice for one person"),
    RuleDef(
        "M13.certificate_already_claimed",
        "reject",
        "one certificate is paid once, across channels (worker or enterprise) and districts",
    ),
    RuleDef("M13.yearly_limit_reached", "reject", "at most the yearly number of subsidies per person"),
    RuleDef("M13.higher_level_held", "reject", "a higher level already held or subsidised blocks a lower one"),
    RuleDef("M13.amount_not_catalogue", "reject", "the amount claimed is the catalogue's for the occupation and level"),
    RuleDef("M13.enterprise_did_not_train", "reject", "an enterprise claims only for workers it trained"),
    RuleDef("M13.certificate_claimed_twice", "finding", "a second claim on a paid-for certificate (fraud signal)"),
    RuleDef("M13.provider_claims_unusual", "finding", "one provider's certificates claimed unusually often"),
)


def _refuse(rule: str, detail: str) -> Violation:
    return Violation(measure="M13", rule=rule, detail=detail)


def subsidy_amount_fen(occupation: str, level: int, on: date) -> int:
    """The catalogue's amount for an occupation and level on a date (tier amount × urgent percent)."""
    policy = get_policy()
    tier = policy.value("training.skills_subsidy.tier_by_level", on)[str(level)]
    base = policy.value("training.skills_subsidy.amount_fen_by_level", on)[tier]
    percent = policy.value("training.skills_subsidy.urgent_occupation_percent", on).get(occupation, 100)
    amount: int = base * percent // 100
    return amount


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass(frozen=True)
class Certificate:
    number: str
    worker_id: str
    occupation: str
    level: int
    issued_on: date
    provider_id: str | None = None


@dataclass(frozen=True)
class PriorClaim:
    claim_id: str
    certificate_number: str
    occupation: str
    level: int
    submitted_on: date  # business date (Asia/Shanghai)


@dataclass(frozen=True)
class PlaceFact:
    """A department's fact on a worker's place: public security's household registration (`region_code`)
    or hrss's job-seeking registration (`district`), with its validity."""

    kind: str  # household_registration | job_seeking_registration
    department: str
    reference: str
    fact_id: str
    region_code: str | None = None
    district: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True)
class WorkerPlaces:
    """What is known of where a worker may train with a subsidy (M13: 户籍地, 常住地, 求职地):

    * `id_region`: the region the ID number was issued in (its first 6 digits) — only a fallback for the
      household registration, which moves while the number stays;
    * `residence_district`: where the worker lives, as registered with contracts;
    * `job_seeking_district`: what the claimant wrote — a claim, not a ground;
    * `facts`: the departments' verified records (household registration: police; job seeking: hrss)."""

    id_region: str | None
    residence_district: str | None
    job_seeking_district: str | None
    facts: tuple[PlaceFact, ...] = ()


@dataclass(frozen=True)
class PlaceGround:
    """Which ground made the training place eligible, and on whose word."""

    ground: str  # household_registration | residence | job_seeking
    source: str  # a department (police, hrss), or id_number_prefix / contracts_registration
    reference: str | None = None
    fact_id: str | None = None
    fallback: bool = False
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def body_may_certify(scope: dict[str, list[int]], occupation: str, level: int) -> Violation | None:
    if level not in scope.get(occupation, []):
        return _refuse(
            "M13.certificate_not_recognised",
            f"this certification body is not recognised for {occupation} at level {level}",
        )
    return None


def within_claim_window(cert: Certificate, on: date) -> Violation | None:
    months = get_policy().value("training.skills_subsidy.claim_window_months", on)
    last = add_months(cert.issued_on, months)
    if on > last:
        return _refuse(
            "M13.claim_window_passed",
            f"the claim window closed on {last.isoformat()} ({months} months after the certificate)",
        )
    return None


def training_place_ground(training_district: str, places: WorkerPlaces, day: date, on: date) -> PlaceGround | Violation:
    """M13 (item 13: 户籍地、常住地、求职地): the ground on which the training place is the worker's, on `day`
    (when the training was certified), from the best source:

    * household registration: public security's record valid on the day decides; only without one is the
      ID number's issuing region used, and the ground says it is that fallback;
    * residence: the district registered with contracts;
    * job seeking: only hrss's job-seeking registration in that district, valid on the day — what the
      claimant writes is not a registration."""
    region = get_policy().value("reference.district_region_codes", on).get(training_district)
    households = [f for f in places.facts if f.kind == "household_registration" and f.valid_on(day)]
    if households:
        held = [f for f in households if region is not None and f.region_code == region]
        if held:
            f = held[0]
            return PlaceGround("household_registration", f.department, f.reference, f.fact_id)
    elif region is not None and places.id_region == region:
        return PlaceGround(
            "household_registration",
            "id_number_prefix",
            fallback=True,
            note="no household-registration record from public security: the ID number's "
            "issuing region is used as a fallback",
        )
    if places.residence_district == training_district:
        return PlaceGround("residence", "contracts_registration")
    for f in places.facts:
        if f.kind == "job_seeking_registration" and f.district == training_district and f.valid_on(day):
            return PlaceGround("job_seeking", f.department, f.reference, f.fact_id)
    reasons = []
    if households:
        reasons.append(
            f"public security records the household registration in {households[0].region_code} "
            f"({households[0].reference})"
        )
    if places.job_seeking_district == training_district:
        reasons.append(f"no job-seeking registration in {training_district} is on record with hrss")
    return _refuse(
        "M13.training_place_not_eligible",
        "the training took place neither at the worker's household-registration place, nor where "
        "they live, nor where they are registered as seeking work" + (f" ({'; '.join(reasons)})" if reasons else ""),
    )


def duplicate_checks(cert: Certificate, prior: list[PriorClaim], held_levels: list[int], on: date) -> Violation | None:
    """Duplicates across channels and districts, by pseudonymous worker id and certificate number."""
    for p in prior:
        if p.certificate_number == cert.number:
            return _refuse(
                "M13.certificate_already_claimed", f"certificate {cert.number} was already claimed as {p.claim_id}"
            )
    for p in prior:
        if (p.occupation, p.level) == (cert.occupation, cert.level):
            return _refuse(
                "M13.already_subsidised",
                f"this person was already subsidised for {cert.occupation} level {cert.level} ({p.claim_id})",
            )
    higher = [lv for lv in held_levels if lv < cert.level]
    higher += [p.level for p in prior if p.occupation == cert.occupation and p.level < cert.level]
    if higher:
        return _refuse(
            "M13.higher_level_held",
            f"a higher level ({min(higher)}) of {cert.occupation} is already held or subsidised",
        )
    limit = get_policy().value("training.skills_subsidy.max_per_person_per_year", on)
    # The year of each claim's business date (Asia/Shanghai): a claim at 06:00 on 1 January is that year's.
    this_year = [p for p in prior if p.submitted_on.year == on.year]
    if len(this_year) >= limit:
        return _refuse(
            "M13.yearly_limit_reached",
            f"at most {limit} subsidy a year per person; already claimed: {', '.join(p.claim_id for p in this_year)}",
        )
    return None


def amount_matches(claimed_fen: int | None, catalogue_fen: int) -> Violation | None:
    if claimed_fen is not None and claimed_fen != catalogue_fen:
        return _refuse("M13.amount_not_catalogue", f"the catalogue's amount is {catalogue_fen} fen, not {claimed_fen}")
    return None


def eligibility(
    cert: Certificate,
    *,
    places: WorkerPlaces,
    training_district: str,
    prior: list[PriorClaim],
    held_levels: list[int],
    claimed_fen: int | None,
    on: date,
) -> tuple[list[Violation], PlaceGround | None]:
    """Every reason to refuse a claim (empty: it may be paid), and the ground the training place held on."""
    place = training_place_ground(training_district, places, cert.issued_on, on)
    checks = [
        within_claim_window(cert, on),
        place if isinstance(place, Violation) else None,
        duplicate_checks(cert, prior, held_levels, on),
        amount_matches(claimed_fen, subsidy_amount_fen(cert.occupation, cert.level, on)),
    ]
    return [v for v in checks if v is not None], place if isinstance(place, PlaceGround) else None


def second_claim_finding(cert: Certificate, first_claim_id: str, channel: str) -> FindingSpec:
    return FindingSpec(
        "M13",
        "M13.certificate_claimed_twice",
        Severity.medium,
        f"证书{cert.number}被重复申领技能提升补贴（首次申领{first_claim_id}）",
        {"certificate_number": cert.number, "first_claim_id": first_claim_id, "second_channel": channel},
    )


def provider_rate_finding(provider_id: str, claims_in_window: int, on: date) -> FindingSpec | None:
    limit = get_policy().value("training.suspicious.provider_claims_per_30_days", on)
    if claims_in_window != limit + 1:  # raised once, when the rate first exceeds the limit
        return None
    return FindingSpec(
        "M13",
        "M13.provider_claims_unusual",
        Severity.medium,
        f"培训机构{provider_id}的证书30日内被申领补贴{claims_in_window}次，超出正常水平",
        {"provider_id": provider_id, "claims_in_30_days": claims_in_window, "limit": limit},
    )
