"""Credit (M6, M19) as rules, pure: which confirmed findings become bad-conduct **records**
(`CreditRules`, from `credit_rules.toml`), the basis each entry rests on as in force on its day
(`record_basis`, `listing_basis`), one debt one record (`debt_key`), and the conditions, term and early
removal of a **listing** on the wage-arrears list under 人力资源社会保障部令第45号 (the 办法):
`listing_condition`, `threshold_reached`, `early_removal_from`.

Records and listings are two things, not one (`records.py`, `listings.py`); the policy data supplies
the figures (`wages.arrears_credit_list.*`, `wages.refusal_to_pay.*`).
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from newform_common.findings import RULE_ID, rule_catalogue
from newform_common.policy import PolicyNotInForce, get_policy

from ..sources.departments.models import DepartmentFact

MEASURES_DOCUMENT = "宁政办〔2022〕41号"
LIST_DOCUMENT = "拖欠农民工工资失信联合惩戒对象名单管理暂行办法 (人力资源社会保障部令第45号)"
#: Who decides a listing: the human resources and social security department (办法 art. 5).
LISTING_DEPARTMENT = "hrss"
CONFIRMING = ("confirmed", "interviewed", "warned", "penalized")
SUBJECTS = ("related_unit", "enterprise")
RECORD_KEYS = {"rule", "outcomes", "requires_evidence", "subject", "document", "source"}


# -- the record rules (credit_rules.toml) --------------------------------------------------------------------
class CreditRulesError(ValueError):
    """credit_rules.toml names something that is not a finding rule, or asks for a whole measure."""


@dataclass(frozen=True)
class RecordRule:
    rule: str
    outcomes: frozenset[str]
    subject: str
    document: str
    source: str
    requires_evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreditRules:
    """Which confirmed findings become bad-conduct records: by rule, with the decisions, the evidence
    and the subject each needs. `except_rules` never make one."""

    records: Mapping[str, RecordRule] = field(default_factory=dict)
    except_rules: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path, catalogue: Mapping[str, Any] | None = None) -> CreditRules:
        """The rules of `path`, checked against `catalogue` (default: every installed service's rules)."""
        if catalogue is None:
            catalogue = rule_catalogue()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls.parse(data, catalogue, where=str(path))

    @classmethod
    def parse(
        cls, data: Mapping[str, Any], catalogue: Mapping[str, Any] | None = None, *, where: str = "credit rules"
    ) -> CreditRules:
        if data.get("measures"):
            raise CreditRulesError(f"{where}: `measures` — a whole measure is never a credit basis; name the rules")
        if data.get("rules"):
            raise CreditRulesError(f"{where}: `rules` — use [[record]] tables (outcomes, subject, source)")
        records: dict[str, RecordRule] = {}
        unknown_keys = sorted(set(data) - {"record", "except_rules"})
        if unknown_keys:
            raise CreditRulesError(f"{where}: unknown keys {', '.join(unknown_keys)}")
        for entry in data.get("record", []):
            rule = entry.get("rule", "")
            extra = sorted(set(entry) - RECORD_KEYS)
            if extra:  # e.g. `except_rules` written below a [[record]] belongs to it in TOML: refused
                raise CreditRulesError(f"{where}: {rule}: unknown keys {', '.join(extra)}")
            outcomes = frozenset(entry.get("outcomes", CONFIRMING))
            if not outcomes or not outcomes <= set(CONFIRMING):
                raise CreditRulesError(f"{where}: {rule}: outcomes must be among {', '.join(CONFIRMING)}")
            if entry.get("subject") not in SUBJECTS:
                raise CreditRulesError(f"{where}: {rule}: subject must be one of {', '.join(SUBJECTS)}")
            if not entry.get("source") or not entry.get("document"):
                raise CreditRulesError(f"{where}: {rule}: a record cites its document and source")
            if rule in records:
                raise CreditRulesError(f"{where}: {rule} twice")
            records[rule] = RecordRule(
                rule,
                outcomes,
                entry["subject"],
                entry["document"],
                entry["source"],
                tuple(entry.get("requires_evidence", ())),
            )
        rules = cls(records, frozenset(data.get("except_rules", [])))
        rules.check(catalogue, where=where)
        return rules

    def check(self, catalogue: Mapping[str, Any] | None = None, *, where: str = "credit rules") -> None:
        """Every id (records and `except_rules`) a well-formed rule id, no rule both made and excepted,
        and — given the rule catalogue (`newform_common.findings.rule_catalogue()`) — each a finding
        some service raises: a typo is an error, never a rule that silently lists or silently doesn't."""
        ids = [*self.records, *self.except_rules]
        bad = sorted(i for i in ids if not RULE_ID.match(i))
        if bad:
            raise CreditRulesError(f"{where}: not rule ids: {', '.join(bad)}")
        both = sorted(set(self.records) & self.except_rules)
        if both:
            raise CreditRulesError(f"{where}: both a record rule and an except rule: {', '.join(both)}")
        if catalogue:
            unknown = sorted(
                i for i in ids if i not in catalogue or getattr(catalogue[i], "kind", "finding") != "finding"
            )
            if unknown:
                raise CreditRulesError(f"{where}: no service raises these as findings: {', '.join(unknown)}")

    def record_rule(self, rule: str, outcome: str | None, evidence: Mapping[str, Any]) -> RecordRule | None:
        """The record rule a decision of `rule` with `outcome` and this evidence meets, else None."""
        spec = self.records.get(rule)
        if spec is None or rule in self.except_rules or outcome not in spec.outcomes:
            return None
        if any(not evidence.get(key) for key in spec.requires_evidence):
            return None
        return spec

    def applies(self, measure: str, rule: str) -> bool:
        """Whether `rule` can make a record at all (some outcome, some evidence)."""
        return rule in self.records and rule not in self.except_rules


# -- the basis in force on a day -----------------------------------------------------------------------------
def measures_in_force(on: date) -> bool:
    """Whether the measures themselves (not provisionally, after their lapse) are in force on `on`."""
    try:
        return not get_policy().measures_status(on).provisional
    except PolicyNotInForce:
        return False


def record_basis(
    spec: RecordRule, *, measure: str, summary: str, decided_on: date, fact_on: date | None
) -> dict[str, Any]:
    """What a record rests on, as in force on the day it was decided. A record under the measures (item 6)
    decided after their lapse rests on them as the source in force on the fact's own date, and says so
    (`provisional`): the measures have no successor for it."""
    in_force = measures_in_force(decided_on)
    basis: dict[str, Any] = {
        "document": spec.document,
        "measure": measure,
        "rule": spec.rule,
        "summary": summary,
        "sources": [spec.source],
        "decided_on": decided_on.isoformat(),
    }
    if spec.document == MEASURES_DOCUMENT and not in_force:
        basis["provisional"] = True
        basis["note"] = (
            f"{MEASURES_DOCUMENT} lapsed before {decided_on.isoformat()}; the record rests on it as "
            f"in force on the fact's date{(' (' + fact_on.isoformat() + ')') if fact_on else ''}"
        )
    return basis


def listing_basis(decided_on: date, *, condition: str, order: Mapping[str, Any], summary: str) -> dict[str, Any]:
    """A listing rests on the 办法 (arts. 5, 13), in force from 2022-01-01 and not lapsing with the
    measures; item 19 of the measures is cited beside it only on days they are in force."""
    policy = get_policy()
    try:
        term_source = policy.value_with_source("wages.arrears_credit_list.listed_years", decided_on).source
    except (KeyError, PolicyNotInForce):
        term_source = "人力资源社会保障部令第45号"
    sources = [f"{LIST_DOCUMENT} art. 5 (列入条件), art. 13 (期限); {term_source}"]
    if measures_in_force(decided_on):
        sources.append(f"{MEASURES_DOCUMENT} item 19: 依法实施失信联合惩戒")
    return {
        "document": LIST_DOCUMENT,
        "measure": "M19",
        "rule": "M19.wage_arrears_list",
        "condition": condition,
        "summary": summary,
        "sources": sources,
        "decided_on": decided_on.isoformat(),
        "order": dict(order),
    }


def debt_key(rule: str, subject_credit_code: str | None, evidence: Mapping[str, Any]) -> str | None:
    """One debt, one record (W-2): arrears are keyed by the debt — the wages service's own debt id when
    it names one, else the unit, the contract and the pay period — so two clocks (a statement's, a
    period's) noticing the same unpaid pay make one record. Other rules: None (one per alert)."""
    if rule != "M6.wage_arrears":
        return None
    if evidence.get("debt_id"):
        return f"{rule}|{evidence['debt_id']}"[:300]
    if not (evidence.get("contract_id") and evidence.get("period_start")):
        return None
    return (
        f"{rule}|{subject_credit_code or evidence.get('related_unit_id')}|{evidence['contract_id']}|"
        f"{evidence['period_start']}|{evidence.get('period_end', '')}"
    )[:300]


class ListingRefused(Exception):
    def __init__(self, message: str, slug: str = "listing-conditions-not-met"):
        super().__init__(message)
        self.slug = slug


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def policy_value(name: str, on: date, default: Any = None) -> Any:
    try:
        return get_policy().value(name, on)
    except (KeyError, PolicyNotInForce):
        if default is None:
            raise
        return default


def refusal_threshold_fen(which: str, on: date) -> int:
    """The refusal-to-pay amount (`single_worker` | `many_workers`): the province's figure when the policy
    holds it (`wages.refusal_to_pay.<which>_amount_fen`), else the top of the national range — a figure
    reached under every province's standard, so an unknown provincial figure never lists too early."""
    try:
        return int(get_policy().value(f"wages.refusal_to_pay.{which}_amount_fen", on))
    except (KeyError, PolicyNotInForce):
        return int(policy_value(f"wages.refusal_to_pay.{which}_amount_fen_range", on)[1])


def threshold_reached(fields: Mapping[str, Any], on: date) -> tuple[bool, str]:
    """Whether the arrears the inspection confirmed reach the refusal-to-pay threshold (法释〔2013〕3号
    art. 3): one worker unpaid ≥ N months for at least the single-worker amount, or ≥ M workers for at
    least the many-workers amount. Returns (reached, why)."""
    amount = int(fields.get("confirmed_amount_fen") or 0)
    months = int(fields.get("months_unpaid") or 0)
    workers = int(fields.get("workers_affected") or (1 if fields.get("worker_id") else 0))
    min_months = int(policy_value("wages.refusal_to_pay.min_months_unpaid", on))
    min_workers = int(policy_value("wages.refusal_to_pay.min_workers", on))
    single, many = refusal_threshold_fen("single_worker", on), refusal_threshold_fen("many_workers", on)
    if workers >= min_workers and amount >= many:
        return True, f"{workers} workers, {amount} fen ≥ {many} fen"
    if workers >= 1 and months >= min_months and amount >= single:
        return True, f"{months} months unpaid, {amount} fen ≥ {single} fen"
    return False, (
        f"{amount} fen for {workers or 'an unstated number of'} worker(s) over {months} month(s): below "
        f"{single} fen and {min_months} months (one worker) or {many} fen and {min_workers} workers"
    )


def listing_condition(fact: DepartmentFact, decided_on: date) -> tuple[str, str]:
    """Which of the 办法's conditions (policy `wages.arrears_credit_list.listing_conditions`) the
    department's inspection result records, or `ListingRefused`. Art. 5 needs the written order to pay
    by a deadline ignored in both cases (经…责令限期支付工资，逾期未支付的), then the threshold reached or
    a mass incident."""
    f = fact.fields
    if fact.kind != "inspection_result" or f.get("matter") != "arrears":
        raise ListingRefused("A listing rests on labour inspection's result on arrears (an inspection_result fact)")
    if fact.department != LISTING_DEPARTMENT:
        raise ListingRefused("The order to pay is labour inspection's (hrss)")
    if not f.get("ordered_to_pay_by"):
        raise ListingRefused("No written order to pay by a deadline (责令限期支付) is recorded")
    deadline = date.fromisoformat(str(f["ordered_to_pay_by"]))
    if not f.get("order_ignored"):
        raise ListingRefused("The department has not recorded the order to pay as ignored (逾期未支付)")
    if decided_on <= deadline:
        raise ListingRefused(
            f"The order's deadline ({deadline.isoformat()}) has not passed on {decided_on.isoformat()}"
        )
    conditions = policy_value("wages.arrears_credit_list.listing_conditions", decided_on)
    reached, why = threshold_reached(f, decided_on)
    if "ignored_payment_order_and_refusal_threshold_reached" in conditions and reached:
        return "ignored_payment_order_and_refusal_threshold_reached", why
    if "mass_incident" in conditions and f.get("mass_incident"):
        return "mass_incident", "the arrears caused a mass or extreme incident (群体性事件、极端事件)"
    raise ListingRefused(f"Neither the refusal-to-pay threshold ({why}) nor a mass incident is recorded")


def early_removal_from(decided_on: date, corrected_on: date) -> date:
    """The first day removal may be granted: `removal_after_correction_months` after the correction — and
    never sooner after the listing itself (a correction before the listing does not shorten it)."""
    months = int(policy_value("wages.arrears_credit_list.removal_after_correction_months", decided_on))
    return add_months(max(corrected_on, decided_on), months)
