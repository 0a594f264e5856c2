"""One checked vocabulary of rule ids: whatever in the gateway names a rule or a measure — the credit
rules, the routing table, the scorecards, the API's examples — names one a service can emit
(`newform_common.findings.rule_catalogue()`, from each service's `rules.RULES`). An id no code emits
would never fire: the suite fails instead."""

from __future__ import annotations

from datetime import date

import pytest

from newform_common.findings import rule_catalogue
from newform_common.policy import get_policy
from newform_common.registry import installed_names
from newform_gateway.alerts.schemas import ALERT_EXAMPLE
from newform_gateway.config import DEFAULT_CREDIT_RULES
from newform_gateway.credit.rules import CreditRules
from newform_gateway.platforms import scorecards

ON = date(2024, 6, 1)


@pytest.fixture(scope="module")
def findings() -> dict[str, str]:
    """Finding rule id -> measure, of every installed service (rejects never reach the gateway)."""
    catalogue = rule_catalogue()
    assert catalogue, "no service declares its RULES: the vocabulary cannot be checked"
    return {rule_id: rule.measure for rule_id, rule in catalogue.items() if rule.kind == "finding"}


def test_contracts_declares_its_rules():
    assert "contracts" in installed_names()
    assert any(rule.startswith("M3.") for rule in rule_catalogue()), "contracts' rules.RULES lists no M3 rule"


def test_credit_rules_name_only_findings_a_service_can_emit(findings):
    credit = CreditRules.load(DEFAULT_CREDIT_RULES, catalogue=rule_catalogue())
    assert sorted(set(credit.records) - set(findings)) == [], "credit rules that no service raises as a finding"
    assert sorted(credit.except_rules - set(findings)) == [], "except rules that no service raises as a finding"
    assert credit.records, "no finding could ever become a credit record"


def test_every_finding_is_routed_and_the_routing_table_names_only_the_policys_measures(findings):
    policy = get_policy()
    measures = set(policy.measure_titles(ON))
    for measure in measures:
        assert policy.departments_for_measure(measure, ON), f"{measure} reaches no department"
    assert sorted(set(findings.values()) - measures) == [], "findings under a measure the policy lacks"
    departments = set(policy.departments(ON))
    for measure in measures:
        assert sorted(set(policy.departments_for_measure(measure, ON)) - departments) == [], measure


def test_scorecard_principles_name_measures_the_services_feeding_them_emit(findings):
    measures = set(get_policy().measure_titles(ON))
    installed = set(installed_names())
    for principle in scorecards.PRINCIPLES:
        assert set(principle.measures) <= measures, principle.code
        if set(principle.feeds) <= installed:  # scored now: some rule must be able to move it
            assert set(principle.measures) & set(findings.values()), principle.code


def test_the_api_examples_name_a_real_rule(findings):
    assert ALERT_EXAMPLE["rule"] in findings
    assert ALERT_EXAMPLE["measure"] == findings[ALERT_EXAMPLE["rule"]]
