"""The policy's checks on engagements, as pure functions over plain data.

Each rule has an id `M<n>.<name>` naming the measure of 宁政办〔2022〕41号 it serves (see
services/contracts/RULES.md). Rejects return a `Violation` (the request is refused, nothing is
stored); findings return `FindingSpec`s (the fact is accepted and flagged for the regulator).
Numbers come from the policy (`get_policy()`), never from literals here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from newform_common.findings import FindingSpec, RuleDef, Severity, Violation  # noqa: F401 (re-exported)
from newform_common.policy import business_today, get_policy

EngagementType = Literal["labor_contract", "work_agreement", "civil"]

#: Strength of the protection an engagement type gives the worker (M1, M2).
STRENGTH: dict[str, int] = {"civil": 0, "work_agreement": 1, "labor_contract": 2}


def protected_attributes(on: date | None = None) -> frozenset[str]:
    """Eligibility conditions the policy forbids (M5: 不得违法设置性别、民族、年龄、宗教信仰等歧视性条件);
    policy data `fair_access.protected_attributes`."""
    return frozenset(get_policy().value("fair_access.protected_attributes", on or business_today()))


#: Words in free-text terms that suggest a deposit, a fee or a discriminatory condition (M5, for review).
SUSPICIOUS_TERMS = (
    "押金",
    "保证金",
    "风险金",
    "抵押",
    "服务费",
    "手续费",
    "培训费",
    "装备费",
    "管理费",
    "入职费",
    "收费",
    "限男",
    "限女",
    "仅限男",
    "仅限女",
    "男性",
    "女性",
    "民族",
    "宗教",
    "信仰",
    "年龄",
    "deposit",
    "bond",
    "fee",
    "gender",
    "religion",
    "ethnic",
)


def restriction_reasons(on: date | None = None) -> dict[str, str]:
    """The published list of reasons for which a platform may restrict or cancel a worker's registration
    (M5: 不得无正当理由限制或注销劳动者的平台注册); policy data `fair_access.restriction_reasons`. A
    restriction on any other reason is a finding. Served at GET /v1/account-restrictions/reasons."""
    return get_policy().value("fair_access.restriction_reasons", on or business_today())


#: The rules M10 names (平台进入退出、订单分配、计件单价、抽成比例、报酬构成及支付、工作时间、奖惩).
RULE_TOPICS = (
    "platform_entry_exit",
    "order_allocation",
    "piece_rates",
    "commission_ratio",
    "pay_composition",
    "working_hours",
    "rewards_penalties",
)

#: Every rule id this module can emit: the checked vocabulary (`newform_common.findings.rule_catalogue`).
RULES: tuple[RuleDef, ...] = (
    RuleDef("M5.no_deposit", "reject", "a deposit, bond or fee charged to the worker"),
    RuleDef(
        "M5.no_discriminatory_conditions",
        "reject",
        "an unlawful eligibility condition on gender, ethnicity, age or religion",
    ),
    RuleDef(
        "M5.no_exclusivity",
        "reject",
        "a clause restricting work on other platforms outside a full-time labour contract",
    ),
    RuleDef("M6.max_pay_period", "reject", "a pay period longer than the policy allows"),
    RuleDef(
        "M3.dispatch_requires_labor_contract", "reject", "a dispatch agency signing anything but a labour contract"
    ),
    RuleDef("M1.misclassification", "finding", "declared type weaker than the facts' labour relationship"),
    RuleDef("M2.misclassification", "finding", "declared civil where the facts call for a work agreement"),
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
    RuleDef("M5.suspicious_terms_text", "finding", "free text mentions deposits, fees or discriminatory conditions"),
    RuleDef("M5.restriction_without_listed_reason", "finding", "restriction for a reason not on the published list"),
    RuleDef(
        "M5.restriction_without_notice", "finding", "restriction without notice to the worker before it took effect"
    ),
    RuleDef("M10.effective_before_publication", "finding", "rule in effect before its publication"),
    RuleDef("M10.effective_without_notice", "finding", "rule in effect on its publication day, without notice"),
    RuleDef(
        "M10.no_consultation",
        "finding",
        "rule changed without consulting the union or worker representatives before publication",
    ),
)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# Classification (M1, M2)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EngagementFacts:
    enterprise_sets_rules_and_discipline: bool
    enterprise_controls_schedule: bool
    enterprise_sets_pay: bool
    work_is_core_business: bool
    worker_may_refuse_orders: bool
    worker_bears_profit_and_loss: bool
    worker_works_elsewhere: bool


@dataclass(frozen=True)
class CriterionResult:
    name: str
    met: bool
    reason: str


@dataclass(frozen=True)
class Classification:
    suggested_type: EngagementType
    criteria: list[CriterionResult]
    measure: str


def classify(facts: EngagementFacts) -> Classification:
    """M1/M2: suggest the engagement type from the facts (劳社部发〔2005〕12号 art. 1; 人社部发〔2021〕56号).

    Weighed as the two texts do. The 2005 standard's elements carry a labour relationship: the
    enterprise's rules and management apply to the worker, it arranges the paid work (sets the pay),
    and the work is part of its business. Autonomy weakens it only where 56号 says so — the worker
    has strong autonomy over the work arrangement (较强的工作安排自主权): sets own schedule AND either
    may refuse orders or works for others. Declining orders alone, under the platform's schedule,
    rules and pay, is still a labour relationship. `civil` when the worker runs an own business
    (bears profit and loss, sets own prices, outside the enterprise's management); otherwise
    `work_agreement` (the platform manages the labour process, 56号's 不完全符合确立劳动关系情形).
    """
    f = facts
    criteria = [
        CriterionResult(
            "rules_and_management",
            f.enterprise_sets_rules_and_discipline,
            "企业的劳动规章制度适用于劳动者，劳动者受其劳动管理"
            if f.enterprise_sets_rules_and_discipline
            else "劳动者不受企业规章制度和劳动纪律约束",
        ),
        CriterionResult(
            "schedule_control",
            f.enterprise_controls_schedule,
            "企业决定工作时间和在线时长" if f.enterprise_controls_schedule else "劳动者自主决定工作时间和在线时长",
        ),
        CriterionResult(
            "pay_set_by_enterprise",
            f.enterprise_sets_pay,
            "企业决定报酬和服务价格" if f.enterprise_sets_pay else "劳动者自主定价",
        ),
        CriterionResult(
            "core_business",
            f.work_is_core_business,
            "劳动者提供的劳动是企业业务的组成部分" if f.work_is_core_business else "所提供的劳动不属于企业主营业务",
        ),
        CriterionResult(
            "no_right_to_refuse_orders",
            not f.worker_may_refuse_orders,
            "劳动者不能拒绝派单" if not f.worker_may_refuse_orders else "劳动者可以自主拒单",
        ),
        CriterionResult(
            "no_own_business_risk",
            not f.worker_bears_profit_and_loss,
            "劳动者不承担经营盈亏" if not f.worker_bears_profit_and_loss else "劳动者自负盈亏，自主经营",
        ),
        CriterionResult(
            "works_only_here",
            not f.worker_works_elsewhere,
            "劳动者未在其他平台或单位工作"
            if not f.worker_works_elsewhere
            else "劳动者同时在其他平台或单位工作（非全日制用工可有多个用人单位）",
        ),
    ]
    # The 2005 standard's elements: management, pay (paid work arranged by the enterprise), core business.
    elements = f.enterprise_sets_rules_and_discipline and f.enterprise_sets_pay and f.work_is_core_business
    # 56号: strong autonomy over the work arrangement — own schedule plus freedom to refuse or to work for others.
    strong_autonomy = not f.enterprise_controls_schedule and (f.worker_may_refuse_orders or f.worker_works_elsewhere)
    own_business = (
        f.worker_bears_profit_and_loss
        and not f.enterprise_sets_pay
        and not f.enterprise_sets_rules_and_discipline
        and not f.enterprise_controls_schedule
    )
    if elements and not strong_autonomy and not f.worker_bears_profit_and_loss:
        return Classification("labor_contract", criteria, "M1")
    if own_business:
        return Classification("civil", criteria, "M2")
    return Classification("work_agreement", criteria, "M2")


def misclassification(declared: str, classification: Classification) -> FindingSpec | None:
    """M1/M2 finding: the declared type gives less protection than the facts call for."""
    suggested = classification.suggested_type
    if STRENGTH[declared] >= STRENGTH[suggested]:
        return None
    measure = "M1" if suggested == "labor_contract" else "M2"
    return FindingSpec(
        measure,
        f"{measure}.misclassification",
        Severity.high,
        f"用工形式疑似错误认定：申报为{_TYPE_ZH[declared]}，依事实应为{_TYPE_ZH[suggested]}",
        {
            "declared_type": declared,
            "suggested_type": suggested,
            "criteria_met": [c.name for c in classification.criteria if c.met],
        },
    )


_TYPE_ZH = {"labor_contract": "劳动合同", "work_agreement": "书面用工协议", "civil": "民事协议"}


# ---------------------------------------------------------------------------------------------
# Rejects on contract terms (M3, M5, M6)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """An eligibility condition as the platform wrote it: an attribute and its requirement text."""

    attribute: str
    requirement: str = ""


@dataclass(frozen=True)
class TermsFacts:
    """What the clause checks need from a contract's terms."""

    pay_period: str
    pay_interval_days: int | None = None
    deposit_fen: int = 0
    worker_fees_fen: int = 0
    eligibility_attributes: tuple[str, ...] = ()
    exclusivity: bool = False
    free_text: str = ""
    eligibility_conditions: tuple[Condition, ...] = ()
    engagement_type: str = "labor_contract"
    part_time: bool = False
    occupation: str | None = None

    def conditions(self) -> tuple[Condition, ...]:
        return self.eligibility_conditions + tuple(Condition(a) for a in self.eligibility_attributes)


def check_no_deposit(terms: TermsFacts) -> Violation | None:
    """M5.no_deposit: no deposit, bond or fee may be charged to the worker."""
    if terms.deposit_fen > 0 or terms.worker_fees_fen > 0:
        return Violation(
            "M5",
            "M5.no_deposit",
            "A deposit, bond or fee may not be charged to the worker (不得向劳动者收取押金、保证金或其他费用)",
        )
    return None


def _mentions(text: str, words) -> bool:
    """Chinese words as substrings; English words as whole words (so 'age' is not found in 'page')."""
    lowered = text.lower()
    for w in words:
        if w.isascii():
            if re.search(rf"(?<![a-z0-9]){re.escape(w.lower())}(?![a-z0-9])", lowered):
                return True
        elif w in text:
            return True
    return False


_CLAUSE_SPLIT = re.compile(r"[，,；;。.、/\n]+")
_MIN_AGE = (
    re.compile(r"年满\s*(\d{1,3})"),
    re.compile(r"(\d{1,3})\s*周?岁\s*(?:以上|及以上|或以上|含)"),
    re.compile(r"(?:at least|minimum(?: age)?(?: of)?|min\.?|over|older than|≥|>=)\s*(\d{1,3})", re.I),
    re.compile(r"(\d{1,3})\s*(?:\+|years?(?: old)? (?:or|and) (?:older|above|over))", re.I),
)
_MAX_AGE = re.compile(
    r"以下|以内|不超过|不得超过|不满|之间|未满|under|below|at most|no more than|maximum|"
    r"max\.?|younger|≤|<=|[~～]|\d\s*[-–—至到]\s*\d",
    re.I,
)


def _age_condition_is_lawful(text: str, lawful_minimum: int, birth_words) -> bool:
    """A minimum age no higher than the law's own minimum, with no upper limit, is lawful (劳动法 art. 15:
    none under 16; a driving licence's own age). Upper limits, birth-year cut-offs and bare numbers are not."""
    if _mentions(text, birth_words) or _MAX_AGE.search(text):
        return False
    minimums = [int(m) for pattern in _MIN_AGE for m in pattern.findall(text)]
    return bool(minimums) and max(minimums) <= lawful_minimum


def discriminatory_conditions(terms: TermsFacts, on: date) -> list[tuple[str, str]]:
    """The (attribute as written, protected ground) pairs that are unlawful conditions (M5).

    Judged by meaning: the attribute's name and the requirement's text, Chinese or English, against
    the policy's words for each protected ground. A requirement saying the ground is not restricted
    (男女不限) is no condition. Gender, ethnicity and religion conditions are never lawful for these
    occupations; an age condition is lawful only as the law's own minimum age.
    """
    policy = get_policy()
    words: dict[str, list[str]] = policy.value("fair_access.protected_attribute_words", on)
    grounds = {ground: words.get(ground, [ground]) for ground in sorted(protected_attributes(on))}
    unrestricted = policy.value("fair_access.no_restriction_words", on)
    minimum_ages = policy.value("fair_access.lawful_minimum_age", on)
    licence_words = policy.value("fair_access.driving_licence_words", on)
    driving = terms.occupation in policy.value("fair_access.driving_occupations", on)
    found = []
    for c in terms.conditions():
        clauses = [x for x in _CLAUSE_SPLIT.split(c.requirement) if x.strip()] or [""]
        for ground, words in grounds.items():
            attribute_names_it = _mentions(c.attribute.replace("_", " ") + " " + c.attribute, words)
            restricting = [
                x for x in clauses if (attribute_names_it or _mentions(x, words)) and not _mentions(x, unrestricted)
            ]
            if not restricting:
                continue
            if ground == "age":
                text = f"{c.attribute} {c.requirement}"
                licence = driving or _mentions(text, licence_words)
                lawful_minimum = max(minimum_ages["general"], minimum_ages["driving_licence"] if licence else 0)
                if _age_condition_is_lawful(c.requirement, lawful_minimum, ("出生", "birth", "born")) and not _mentions(
                    c.attribute, ("出生", "birth", "born")
                ):
                    continue
            found.append((c.attribute, ground))
    return found


def check_no_discriminatory_conditions(terms: TermsFacts, on: date | None = None) -> Violation | None:
    """M5.no_discriminatory_conditions: no unlawful eligibility condition on gender, ethnicity, age or religion."""
    if not terms.conditions():
        return None  # nothing to judge (most contracts): spare the policy's word lists
    bad = discriminatory_conditions(terms, on or business_today())
    if bad:
        named = ", ".join(f"{attribute!r} ({ground})" for attribute, ground in bad)
        return Violation(
            "M5",
            "M5.no_discriminatory_conditions",
            f"Eligibility conditions on {named} are unlawful discriminatory conditions "
            f"(不得违法设置性别、民族、年龄、宗教信仰等歧视性条件); an age may only be the law's own "
            f"minimum, e.g. 年满16周岁",
        )
    return None


def check_no_exclusivity(terms: TermsFacts) -> Violation | None:
    """M5.no_exclusivity: no clause may unlawfully restrict the worker from working on other platforms.

    Lawful only within a full-time labour contract (the employer may require exclusive service,
    劳动合同法 art. 39(4)); unlawful in a part-time labour contract (art. 69: several employers
    allowed), a work agreement or a civil agreement, where the worker keeps the freedom to work
    for others (不得违法限制劳动者在多平台就业).
    """
    full_time_labour = terms.engagement_type == "labor_contract" and not terms.part_time
    if terms.exclusivity and not full_time_labour:
        return Violation(
            "M5",
            "M5.no_exclusivity",
            "A clause may not restrict the worker from working on "
            "other platforms outside a full-time labour contract (不得违法限制劳动者在多平台就业)",
        )
    return None


# Free-text terms (other_terms, rest_rules, the document) are judged by meaning too: a clause that says
# what a structured field would say is judged as that field would be — "乙方不得在其他平台接单" is
# exclusivity whether it is a checkbox or a sentence — and the refusal quotes the clause.
_SENTENCE_SPLIT = re.compile(r"[。；;！!？?\n]+")


@dataclass(frozen=True)
class Clause:
    """A sentence of the free-text terms and what it says in the structured fields' terms."""

    text: str
    exclusivity: bool = False
    charges_worker: bool = False
    conditions: tuple[Condition, ...] = ()


def free_text_clauses(text: str, on: date) -> list[Clause]:
    """The sentences of free-text terms that amount to a structured term (policy
    `fair_access.free_text_clause_words`; protected grounds as `fair_access.protected_attribute_words`)."""
    if not text.strip():
        return []
    words = get_policy().value("fair_access.free_text_clause_words", on)
    grounds = get_policy().value("fair_access.protected_attribute_words", on)
    ground_words = [w for ws in grounds.values() for w in ws]
    found = []
    for sentence in (x.strip() for x in _SENTENCE_SPLIT.split(text)):
        if not sentence:
            continue
        pieces = [x for x in _CLAUSE_SPLIT.split(sentence) if x.strip()]
        exclusive = any(
            _mentions(p, words["restriction"])
            and _mentions(p, words["other_platforms"])
            and not _mentions(p, words["protective"])
            for p in pieces
        )
        charges = any(
            _mentions(p, words["deposit"] + words["fee"])
            and _mentions(p, words["charge"])
            and not _mentions(p, words["negated_charge"])
            for p in pieces
        )
        conditions = tuple(
            Condition("", p) for p in pieces if _mentions(p, ground_words) and _mentions(p, words["requirement"])
        )
        if exclusive or charges or conditions:
            found.append(Clause(sentence, exclusive, charges, conditions))
    return found


def check_free_text(terms: TermsFacts, on: date) -> list[Violation]:
    """M5 on the free-text terms: each clause judged as its structured twin (exclusivity, a deposit or fee
    charged to the worker, a discriminatory condition), the clause quoted in the refusal."""
    out = []
    for clause in free_text_clauses(terms.free_text, on):
        quoted = f"「{clause.text[:200]}」"
        if clause.exclusivity and check_no_exclusivity(replace(terms, exclusivity=True)):
            out.append(
                Violation(
                    "M5",
                    "M5.no_exclusivity",
                    f"The clause {quoted} restricts the worker from working on other platforms outside "
                    "a full-time labour contract (不得违法限制劳动者在多平台就业)",
                )
            )
        if clause.charges_worker:
            out.append(
                Violation(
                    "M5",
                    "M5.no_deposit",
                    f"The clause {quoted} charges the worker a deposit, bond or "
                    "fee (不得向劳动者收取押金、保证金或其他费用)",
                )
            )
        if clause.conditions:
            bad = discriminatory_conditions(
                replace(terms, eligibility_conditions=clause.conditions, eligibility_attributes=()), on
            )
            if bad:
                grounds = ", ".join(sorted({ground for _, ground in bad}))
                out.append(
                    Violation(
                        "M5",
                        "M5.no_discriminatory_conditions",
                        f"The clause {quoted} sets an unlawful condition on {grounds} "
                        "(不得违法设置性别、民族、年龄、宗教信仰等歧视性条件)",
                    )
                )
    return out


#: The length in days of each pay period code, to hold a period against the longest allowed.
PAY_PERIOD_DAYS = {"hour": 1, "day": 1, "week": 7, "month": 31}


def check_max_pay_period(terms: TermsFacts, on: date, *, part_time_labor: bool = False) -> Violation | None:
    """M6.max_pay_period: pay by the hour, day, week or month — never a longer period; a part-time
    labour contract at least every 15 days (劳动合同法 art. 72)."""
    policy = get_policy()
    allowed = policy.value("pay.allowed_pay_periods", on)
    longest = policy.value("pay.max_pay_period_days", on)
    if part_time_labor:
        longest = min(longest, policy.value("pay.part_time.max_pay_period_days", on))
        if PAY_PERIOD_DAYS.get(terms.pay_period, 0) > longest:
            return Violation(
                "M6",
                "M6.max_pay_period",
                f"A part-time labour contract is paid at least every {longest} days, not by the "
                f"{terms.pay_period} (非全日制用工劳动报酬结算支付周期最长不得超过十五日)",
            )
    if terms.pay_period not in allowed:
        return Violation(
            "M6",
            "M6.max_pay_period",
            f"Pay period {terms.pay_period!r} is not allowed: one of {', '.join(allowed)}, "
            f"at most {longest} days (支付周期最长不得超过一个月)",
        )
    if terms.pay_interval_days is not None and terms.pay_interval_days > longest:
        return Violation(
            "M6",
            "M6.max_pay_period",
            f"Pay every {terms.pay_interval_days} days exceeds the longest pay period of {longest} days",
        )
    return None


def check_dispatch_requires_labor_contract(enterprise_kind: str, engagement_type: str) -> Violation | None:
    """M3.dispatch_requires_labor_contract: a labour-dispatch agency signs labour contracts only."""
    if enterprise_kind == "dispatch_agency" and engagement_type != "labor_contract":
        return Violation(
            "M3",
            "M3.dispatch_requires_labor_contract",
            "A labour-dispatch agency must sign a labour contract with the worker (劳务派遣单位应订立劳动合同)",
        )
    return None


def contract_rejects(
    terms: TermsFacts, *, enterprise_kind: str, engagement_type: str, on: date, part_time: bool = False
) -> list[Violation]:
    checks = [
        check_no_deposit(terms),
        check_no_discriminatory_conditions(terms, on),
        check_no_exclusivity(terms),
        check_max_pay_period(terms, on, part_time_labor=part_time and engagement_type == "labor_contract"),
        check_dispatch_requires_labor_contract(enterprise_kind, engagement_type),
    ]
    return [v for v in checks if v is not None] + check_free_text(terms, on)


# ---------------------------------------------------------------------------------------------
# Findings on contracts (M1, M3, M5, M9)
# ---------------------------------------------------------------------------------------------
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


def suspicious_terms_text(text: str) -> FindingSpec | None:
    """M5.suspicious_terms_text: free-text terms mention deposits, fees or discriminatory conditions."""
    lowered = text.lower()
    hits = [w for w in SUSPICIOUS_TERMS if (re.search(rf"\b{w}s?\b", lowered) if w.isascii() else w in text)]
    if not hits:
        return None
    # Quote the sentences that mention them: the reviewer reads the clause, not a word list.
    clauses = [
        x.strip()[:200]
        for x in _SENTENCE_SPLIT.split(text)
        if x.strip() and any((re.search(rf"\b{w}s?\b", x.lower()) if w.isascii() else w in x) for w in hits)
    ]
    return FindingSpec(
        "M5",
        "M5.suspicious_terms_text",
        Severity.low,
        "合同文本提及押金、收费或歧视性条件，需人工审查",
        {"matched_words": hits, "clauses": clauses[:10]},
    )


# ---------------------------------------------------------------------------------------------
# Account restrictions (M5)
# ---------------------------------------------------------------------------------------------
#: Reasons the worker asked for himself: no notice is owed to the person who asked.
WORKER_REQUESTED_REASONS = frozenset({"worker_request"})


def notice_given_before(notice_given_at: datetime | None, effective_at: datetime) -> bool:
    """Notice counts only if it came strictly before the restriction took effect (告知 then act)."""
    return notice_given_at is not None and notice_given_at < effective_at


def restriction_findings(reason_code: str, notice_given: bool, on: date | None = None) -> list[FindingSpec]:
    """M5: a restriction or cancellation needs a listed reason and a notice to the worker before it
    takes effect — except at the worker's own request (his request is his notice)."""
    found = []
    if reason_code not in restriction_reasons(on):
        found.append(
            FindingSpec(
                "M5",
                "M5.restriction_without_listed_reason",
                Severity.medium,
                "平台限制或注销劳动者账号的理由不在公布的理由清单内",
                {"reason_code": reason_code},
            )
        )
    if not notice_given and reason_code not in WORKER_REQUESTED_REASONS:
        found.append(
            FindingSpec(
                "M5",
                "M5.restriction_without_notice",
                Severity.medium,
                "平台限制或注销劳动者账号前未告知劳动者",
                {"reason_code": reason_code},
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# Rule and algorithm register (M10)
# ---------------------------------------------------------------------------------------------
def rule_notice_findings(
    *, topic: str, published_on: date, effective_on: date, consulted: bool, consulted_on: date | None = None
) -> list[FindingSpec]:
    """M10: a rule change is consulted on with the union or worker representatives before it is
    published (充分听取…意见建议，将结果公示并告知劳动者), published, and takes effect only after the
    workers had notice (`rule_register.min_notice_days` after publication)."""
    found = []
    notice_days = (effective_on - published_on).days
    evidence = {"topic": topic, "published_on": published_on.isoformat(), "effective_on": effective_on.isoformat()}
    if effective_on < published_on:
        found.append(
            FindingSpec(
                "M10", "M10.effective_before_publication", Severity.medium, "平台规则或算法在公示前已生效", evidence
            )
        )
    else:
        minimum = get_policy().value("rule_register.min_notice_days", published_on)
        if notice_days < minimum:
            found.append(
                FindingSpec(
                    "M10",
                    "M10.effective_without_notice",
                    Severity.medium,
                    "平台规则或算法公示当日即生效，未给劳动者告知期",
                    {**evidence, "notice_days": notice_days, "min_notice_days": minimum},
                )
            )
    late = consulted and consulted_on is not None and consulted_on > published_on
    if not consulted or late:
        found.append(
            FindingSpec(
                "M10",
                "M10.no_consultation",
                Severity.medium,
                "平台规则或算法调整未在公示前经工会或劳动者代表协商",
                {
                    "topic": topic,
                    "consulted_on": consulted_on.isoformat() if late else None,
                    "published_on": published_on.isoformat(),
                    "reason": "consulted after publication" if late else "no consultation",
                },
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# Verified beats declared (the checks are in verified.py; M3.dispatch_licence_invalid and
# M3.unqualified_partner, declared above, are raised there too, on hrss's and market's facts)
# ---------------------------------------------------------------------------------------------
RULES += (
    RuleDef(
        "M9.declared_insurance_not_enrolled",
        "finding",
        "the platform declared a worker insured; the department holding the register says not enrolled",
    ),
)
