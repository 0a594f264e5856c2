"""The policy's checks as pure functions: each reject and finding, positive and negative."""

from __future__ import annotations

from datetime import date

import pytest

from newform_common.policy import get_policy
from newform_contracts import rules
from newform_contracts.rules import EngagementFacts, Insurance, PartnerFacts, Span, TermsFacts

from .helpers import AGREEMENT_FACTS, CIVIL_FACTS, LABOR_FACTS

ON = date(2026, 11, 28)


def facts(d: dict) -> EngagementFacts:
    return EngagementFacts(**d)


@pytest.mark.parametrize("given, expected", [(LABOR_FACTS, "labor_contract"), (AGREEMENT_FACTS, "work_agreement"),
                                             (CIVIL_FACTS, "civil")])
def test_classification_of_clear_cases(given, expected):
    result = rules.classify(facts(given))
    assert result.suggested_type == expected
    assert result.measure == ("M1" if expected == "labor_contract" else "M2")
    assert len(result.criteria) == 7 and all(c.reason for c in result.criteria)


def test_a_worker_who_may_refuse_orders_is_not_in_a_labour_relationship():
    result = rules.classify(facts({**LABOR_FACTS, "worker_may_refuse_orders": True}))
    assert result.suggested_type == "work_agreement"
    assert not next(c for c in result.criteria if c.name == "no_right_to_refuse_orders").met


def test_misclassification_only_when_the_declared_type_is_weaker():
    labor = rules.classify(facts(LABOR_FACTS))
    agreement = rules.classify(facts(AGREEMENT_FACTS))
    civil = rules.classify(facts(CIVIL_FACTS))
    assert rules.misclassification("civil", labor).rule == "M1.misclassification"
    assert rules.misclassification("work_agreement", labor).measure == "M1"
    assert rules.misclassification("civil", agreement).rule == "M2.misclassification"
    assert rules.misclassification("labor_contract", labor) is None
    assert rules.misclassification("labor_contract", civil) is None
    assert rules.misclassification("civil", civil) is None


def test_no_deposit_M5():
    assert rules.check_no_deposit(TermsFacts("month", deposit_fen=1)).rule == "M5.no_deposit"
    assert rules.check_no_deposit(TermsFacts("month", worker_fees_fen=1)).measure == "M5"
    assert rules.check_no_deposit(TermsFacts("month")) is None


@pytest.mark.parametrize("attribute", ["gender", "ethnicity", "age", "religion"])
def test_no_discriminatory_conditions_M5(attribute):
    v = rules.check_no_discriminatory_conditions(TermsFacts("month", eligibility_attributes=(attribute,)), ON)
    assert v.rule == "M5.no_discriminatory_conditions" and attribute in v.detail
    assert rules.check_no_discriminatory_conditions(TermsFacts("month", eligibility_attributes=("driving_licence",)),
                                                    ON) is None


def test_protected_attributes_are_policy_data():
    assert rules.protected_attributes(ON) == frozenset(get_policy().value("fair_access.protected_attributes", ON))


def test_no_exclusivity_M5():
    assert rules.check_no_exclusivity(TermsFacts("month", exclusivity=True)).rule == "M5.no_exclusivity"
    assert rules.check_no_exclusivity(TermsFacts("month")) is None


def test_max_pay_period_M6_comes_from_the_policy():
    for period in get_policy().value("pay.allowed_pay_periods", ON):
        assert rules.check_max_pay_period(TermsFacts(period), ON) is None
    assert rules.check_max_pay_period(TermsFacts("quarter"), ON).rule == "M6.max_pay_period"
    longest = get_policy().value("pay.max_pay_period_days", ON)
    assert rules.check_max_pay_period(TermsFacts("month", pay_interval_days=longest), ON) is None
    assert rules.check_max_pay_period(TermsFacts("month", pay_interval_days=longest + 1), ON).measure == "M6"


def test_part_time_labour_contract_is_paid_at_least_every_15_days_M6():
    """劳动合同法 art. 72: 非全日制用工劳动报酬结算支付周期最长不得超过十五日."""
    limit = get_policy().value("pay.part_time.max_pay_period_days", ON)
    assert limit == 15
    monthly = rules.check_max_pay_period(TermsFacts("month"), ON, part_time_labor=True)
    assert monthly.rule == "M6.max_pay_period" and "15" in monthly.detail
    assert rules.check_max_pay_period(TermsFacts("week"), ON, part_time_labor=True) is None
    assert rules.check_max_pay_period(TermsFacts("day", pay_interval_days=limit), ON, part_time_labor=True) is None
    assert rules.check_max_pay_period(TermsFacts("day", pay_interval_days=limit + 1), ON,
                                      part_time_labor=True).rule == "M6.max_pay_period"
    # only a part-time *labour contract*: a part-time work agreement keeps the one-month limit
    terms = TermsFacts("month")
    assert rules.contract_rejects(terms, enterprise_kind="platform", engagement_type="work_agreement", on=ON,
                                  part_time=True) == []
    assert [v.rule for v in rules.contract_rejects(terms, enterprise_kind="platform", engagement_type="labor_contract",
                                                   on=ON, part_time=True)] == ["M6.max_pay_period"]


def test_pay_period_rule_still_judges_after_the_measures_lapse():
    lapsed = date(2027, 1, 15)
    assert rules.check_max_pay_period(TermsFacts("quarter"), lapsed).rule == "M6.max_pay_period"
    assert rules.check_max_pay_period(TermsFacts("month"), lapsed) is None


def test_dispatch_requires_labor_contract_M3():
    assert rules.check_dispatch_requires_labor_contract("dispatch_agency", "work_agreement").rule == \
        "M3.dispatch_requires_labor_contract"
    assert rules.check_dispatch_requires_labor_contract("dispatch_agency", "labor_contract") is None
    assert rules.check_dispatch_requires_labor_contract("outsourcer", "civil") is None


def test_dispatch_licence_invalid_M3():
    start = date(2026, 12, 1)
    assert rules.dispatch_licence_invalid(PartnerFacts("dispatch_agency", "L1", date(2026, 11, 30)), start).evidence[
        "licence"] == "expired"
    assert rules.dispatch_licence_invalid(PartnerFacts("dispatch_agency"), start).evidence["licence"] == "missing"
    assert rules.dispatch_licence_invalid(PartnerFacts("dispatch_agency", "L1", start), start) is None
    assert rules.dispatch_licence_invalid(PartnerFacts("outsourcer"), start) is None


def test_unqualified_partner_M3():
    assert rules.unqualified_partner(PartnerFacts("outsourcer", qualified=False)).rule == "M3.unqualified_partner"
    assert rules.unqualified_partner(PartnerFacts("franchisee", qualified=False)).measure == "M3"
    assert rules.unqualified_partner(PartnerFacts("outsourcer", qualified=True)) is None
    assert rules.unqualified_partner(PartnerFacts("platform", qualified=False)) is None


def test_insurance_M9():
    none = Insurance()
    assert [f.rule for f in rules.insurance_findings("labor_contract", "platform", none)] == [
        "M9.work_injury_insurance"]
    assert [f.rule for f in rules.insurance_findings("labor_contract", "dispatch_agency", none)] == [
        "M9.dispatched_worker_insurance"]
    assert [f.rule for f in rules.insurance_findings("work_agreement", "platform", none)] == [
        "M9.platform_worker_protection"]
    assert rules.insurance_findings("labor_contract", "platform", Insurance(work_injury=True)) == []
    assert rules.insurance_findings("labor_contract", "dispatch_agency", Insurance(work_injury=True)) == []
    assert rules.insurance_findings("civil", "platform", Insurance(accident=True)) == []
    assert rules.insurance_findings("work_agreement", "platform", Insurance(occupational_injury=True)) == []


def test_overlapping_full_time_contract_M1():
    active = [Span(date(2026, 12, 1), date(2027, 11, 30))]
    assert rules.overlapping_full_time_contract("labor_contract", False, Span(date(2027, 6, 1), None), active).rule \
        == "M1.overlapping_full_time_contract"
    assert rules.overlapping_full_time_contract("labor_contract", True, Span(date(2027, 6, 1), None), active) is None
    assert rules.overlapping_full_time_contract("work_agreement", False, Span(date(2027, 6, 1), None), active) is None
    assert rules.overlapping_full_time_contract("labor_contract", False,
                                                Span(date(2027, 12, 1), date(2028, 1, 1)), active) is None
    assert rules.overlapping_full_time_contract("labor_contract", False,
                                                Span(date(2026, 1, 1), date(2026, 12, 1)), active) is not None


def test_suspicious_terms_text_M5():
    assert rules.suspicious_terms_text("须缴纳保证金").rule == "M5.suspicious_terms_text"
    assert "fee" in rules.suspicious_terms_text("A training fee applies").evidence["matched_words"]
    assert rules.suspicious_terms_text("按月支付报酬，feedback welcome") is None


def test_restriction_findings_M5():
    assert [f.rule for f in rules.restriction_findings("low_rating", True, ON)] == [
        "M5.restriction_without_listed_reason"]
    assert [f.rule for f in rules.restriction_findings("order_fraud", False, ON)] == ["M5.restriction_without_notice"]
    assert rules.restriction_findings("order_fraud", True, ON) == []
    assert rules.restriction_reasons(ON) == get_policy().value("fair_access.restriction_reasons", ON)
    assert all(label for label in rules.restriction_reasons(ON).values())


def test_rule_notice_findings_M10():
    kw = {"topic": "piece_rates", "published_on": date(2026, 11, 10)}
    assert [f.rule for f in rules.rule_notice_findings(**kw, effective_on=date(2026, 11, 9), consulted=True)] == [
        "M10.effective_before_publication"]
    assert [f.rule for f in rules.rule_notice_findings(**kw, effective_on=date(2026, 11, 10), consulted=False)] == [
        "M10.no_consultation"]
    assert rules.rule_notice_findings(**kw, effective_on=date(2026, 11, 10), consulted=True) == []


def test_every_rule_id_names_its_measure():
    specs = [rules.misclassification("civil", rules.classify(facts(LABOR_FACTS))),
             rules.suspicious_terms_text("押金"), *rules.restriction_findings("x", False)]
    for spec in specs:
        assert spec.rule.split(".")[0] == spec.measure
