"""The checks on a contract's terms (M3, M5, M6): what refuses a draft (a `Violation`: 422, nothing stored),
and the mention in free text that is only flagged for review (M5.suspicious_terms_text).

Pure functions over plain data; numbers and word lists come from the policy (`get_policy()`), never
from literals here. Free text (other terms, rest rules, the document) is judged by meaning too: a clause
that says what a structured field would say is refused as that field would be."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from newform_common.collective import Collective
from newform_common.findings import FindingSpec, RuleDef, Severity, Violation
from newform_common.policy import business_today, get_policy

#: The rule ids this module emits (`newform_contracts.rules.RULES` gathers every aggregate's).
REJECTS: tuple[RuleDef, ...] = (
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
)
FINDINGS: tuple[RuleDef, ...] = (
    RuleDef("M5.suspicious_terms_text", "finding", "free text mentions deposits, fees or discriminatory conditions"),
    RuleDef(
        "M6.collective_standard_undercut",
        "finding",
        "a piece rate below the one the collective contract in force agrees for the occupation and order type "
        "(劳动合同法 art. 55)",
    ),
)

#: The engagements a collective contract binds: labour contracts (劳动合同法 art. 55) and work agreements
#: (the measures item 6: pay as the collective contract agrees); civil contracts are civil law's.
COLLECTIVELY_BOUND = ("labor_contract", "work_agreement")


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


@functools.cache
def _whole_word(word: str) -> re.Pattern[str]:
    """An English word's pattern, compiled once (escaping and formatting it per request was 7% of a
    create's CPU, py-spy under the full-stack P3)."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(word.lower())}(?![a-z0-9])")


def _mentions(text: str, words) -> bool:
    """Chinese words as substrings; English words as whole words (so 'age' is not found in 'page')."""
    lowered = text.lower()
    for w in words:
        if w.isascii():
            if _whole_word(w).search(lowered):
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


def collective_standard_undercut(
    engagement_type: str, occupation: str, piece_rates: Mapping[str, int] | None, binding: Sequence[Collective]
) -> list[FindingSpec]:
    """M6.collective_standard_undercut: a labour contract's (劳动合同法 art. 55: 不得低于集体合同规定的标准) or a
    work agreement's (the measures item 6) piece rate for an order type below the minimum a binding
    collective contract agrees for the occupation and that order type; one finding per collective contract,
    listing each order type undercut. An order type the contract is silent on is no finding: the
    collective standard applies to it (item 6), and wages judges what is paid."""
    if engagement_type not in COLLECTIVELY_BOUND or not piece_rates:
        return []
    found = []
    for collective in binding:
        undercut = [
            {"order_type": order_type, "rate_fen": rate, "agreed_min_rate_fen": agreed}
            for order_type, rate in sorted(piece_rates.items())
            if (agreed := collective.min_rate(occupation, order_type)) is not None and rate < agreed
        ]
        if not undercut:
            continue
        source = (
            "劳动合同法 第五十五条" if engagement_type == "labor_contract" else "《具体措施》第六项（集体合同标准）"
        )
        found.append(
            FindingSpec(
                "M6",
                "M6.collective_standard_undercut",
                Severity.high,
                "计件单价低于集体合同约定标准："
                + "、".join(
                    f"{u['order_type']} {u['rate_fen'] / 100:.2f} 元"
                    f"（约定不低于 {u['agreed_min_rate_fen'] / 100:.2f} 元）"
                    for u in undercut
                ),
                {
                    "collective_contract_id": collective.collective_contract_id,
                    "occupation": occupation,
                    "undercut": undercut,
                    "legal_source": source,
                },
            )
        )
    return found
