"""The disputes rules as pure functions over the policy data (no database)."""

from __future__ import annotations

from datetime import date

from newform_common.findings import rule_catalogue
from newform_common.policy import get_policy
from newform_disputes import rules
from newform_disputes.arbitration import rules as arbitration_rules
from newform_disputes.cases import rules as case_rules
from newform_disputes.complaints import rules as complaint_rules

ON = date(2025, 7, 1)


def test_every_category_escalates_under_a_measure_that_has_a_declared_rule():
    declared = {r.rule for r in rules.RULES}
    for category in complaint_rules.categories(ON):
        assert f"{complaint_rules.escalation_measure(category, ON)}.complaint_escalated" in declared, category
    assert {r.rule for r in rules.RULES} <= set(rule_catalogue())


def test_arrears_go_to_labour_inspection_discrimination_to_the_court_and_safety_to_emergency():
    policy = get_policy()
    route = {
        c: policy.route(complaint_rules.escalation_measure(c, ON), ON) for c in ("pay", "discrimination", "safety")
    }
    assert "hrss" in route["pay"]
    assert "court" in route["discrimination"]
    assert "emergency" in route["safety"]
    # The sector joins the routing: a ride-hailing driver's safety complaint reaches transport.
    assert "transport" in policy.route(complaint_rules.escalation_measure("safety", ON), ON, occupation="ride_hailing")


def test_the_complainant_is_masked_only_where_the_category_allows_and_only_when_asked():
    assert complaint_rules.identity_masked("discrimination", True, ON)
    assert not complaint_rules.identity_masked("discrimination", False, ON)
    assert not complaint_rules.identity_masked("pay", True, ON)


def test_classified_handling_follows_the_engagement_type():
    assert case_rules.track_of("labor_contract") == "labour_arbitration"
    assert case_rules.track_of("work_agreement") == "people_mediation_court"
    assert case_rules.track_of("civil") == "people_mediation_court"
    assert case_rules.track_of(None) == "labour_arbitration"
    assert (
        arbitration_rules.arbitration_track_violation("people_mediation_court", False).rule == "M18.classified_handling"
    )
    assert arbitration_rules.arbitration_track_violation("people_mediation_court", True) is None


def test_facts_contradicting_the_declared_type_raise_the_misclassification_question():
    three = ["enterprise_sets_rules_and_discipline", "enterprise_controls_schedule", "work_is_core_business"]
    spec = case_rules.misclassification_question("civil", three, ON)
    assert spec is not None and spec.rule == "M1.misclassification_question"
    assert spec.evidence["labour_facts"] == sorted(three)
    assert case_rules.misclassification_question("civil", three[:2], ON) is None
    assert case_rules.misclassification_question("labor_contract", three, ON) is None
