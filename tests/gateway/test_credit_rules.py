"""Pure credit rules (credit.py): the rules file is checked against the rule vocabulary, records vs
listings, one record per debt, the listing conditions and the early-removal rule from the policy data."""

from __future__ import annotations

from datetime import date

import pytest

from newform_common.findings import rule_catalogue
from newform_gateway.credit import rules as credit
from newform_gateway.credit.rules import CreditRules, CreditRulesError
from newform_gateway.sources.departments.models import DepartmentFact

RECORD = {"rule": "M6.wage_arrears", "subject": "related_unit", "document": "宁政办〔2022〕41号", "source": "item 6"}


def test_a_typo_in_except_rules_is_an_error_not_a_silent_listing():
    with pytest.raises(CreditRulesError, match="M6.paid_lte"):
        CreditRules.parse({"record": [RECORD], "except_rules": ["M6.paid_lte"]}, rule_catalogue())
    with pytest.raises(CreditRulesError, match="not rule ids"):
        CreditRules.parse({"record": [RECORD], "except_rules": ["paid_late"]})


def test_a_whole_measure_is_never_a_credit_basis():
    with pytest.raises(CreditRulesError, match="whole measure"):
        CreditRules.parse({"measures": ["M6"]})


def test_a_key_under_the_wrong_toml_table_is_refused():
    # `except_rules` written below a [[record]] belongs to that record in TOML: refused, never ignored
    with pytest.raises(CreditRulesError, match="unknown keys except_rules"):
        CreditRules.parse({"record": [{**RECORD, "except_rules": ["M6.paid_late"]}]})


def test_a_rule_both_recorded_and_excepted_is_refused():
    with pytest.raises(CreditRulesError, match="both"):
        CreditRules.parse({"record": [RECORD], "except_rules": ["M6.wage_arrears"]})


def test_one_debt_one_key_whichever_clock_noticed_it():
    statement = {
        "contract_id": "ct_1",
        "period_start": "2025-05-01",
        "period_end": "2025-05-31",
        "statement_id": "st_1",
        "arrears_fen": 348000,
    }
    period = {
        "contract_id": "ct_1",
        "period_start": "2025-05-01",
        "period_end": "2025-05-31",
        "reason": "no_paid_statement",
    }
    code = "91630100MA7XXXXXX1"
    assert credit.debt_key("M6.wage_arrears", code, statement) == credit.debt_key("M6.wage_arrears", code, period)
    assert credit.debt_key("M6.wage_arrears", code, {**period, "debt_id": "debt_9"}) == "M6.wage_arrears|debt_9"
    assert credit.debt_key("M3.dispatch_licence_invalid", code, period) is None


def _inspection(**fields) -> DepartmentFact:
    base = {
        "matter": "arrears",
        "employer_credit_code": "91630100MA7XXXXXX1",
        "confirmed_amount_fen": 2_088_000,
        "months_unpaid": 6,
        "workers_affected": 1,
        "inspected_on": "2025-09-01",
        "ordered_to_pay_by": "2025-09-15",
        "order_ignored": True,
    }
    return DepartmentFact(
        fact_id="f_1",
        kind="inspection_result",
        department="hrss",
        reference="西人社监令〔2025〕12号",
        subject_key="x",
        version=1,
        fields={**base, **fields},
    )


def test_a_listing_needs_an_ignored_order_and_the_threshold_or_a_mass_incident():
    on = date(2025, 10, 1)
    assert credit.listing_condition(_inspection(), on)[0] == "ignored_payment_order_and_refusal_threshold_reached"
    with pytest.raises(credit.ListingRefused, match="ignored"):
        credit.listing_condition(_inspection(order_ignored=False), on)
    with pytest.raises(credit.ListingRefused, match="order to pay"):
        credit.listing_condition(_inspection(ordered_to_pay_by=None), on)
    with pytest.raises(credit.ListingRefused, match="has not passed"):
        credit.listing_condition(_inspection(), date(2025, 9, 15))
    # below the threshold (one month of 3,480 yuan): no listing, unless the arrears caused a mass incident
    small = {"confirmed_amount_fen": 348_000, "months_unpaid": 1}
    with pytest.raises(credit.ListingRefused, match="threshold"):
        credit.listing_condition(_inspection(**small), on)
    assert credit.listing_condition(_inspection(**small, mass_incident=True), on)[0] == "mass_incident"
    # ten workers, 100,000 yuan: the many-workers figure (top of the national range until Qinghai's is data)
    assert credit.threshold_reached({"confirmed_amount_fen": 10_000_000, "workers_affected": 10}, on)[0]
    assert not credit.threshold_reached({"confirmed_amount_fen": 9_999_999, "workers_affected": 10}, on)[0]


def test_early_removal_six_months_after_correction_never_sooner_after_listing():
    listed = date(2026, 3, 2)
    assert credit.early_removal_from(listed, listed) == date(2026, 9, 2)
    assert credit.early_removal_from(listed, date(2026, 1, 10)) == date(2026, 9, 2)  # corrected before listing
    assert credit.early_removal_from(listed, date(2026, 4, 30)) == date(2026, 10, 30)


def test_a_listings_basis_is_the_list_rule_and_the_measures_only_while_in_force():
    order = {"reference": "西人社监令〔2027〕1号"}
    before = credit.listing_basis(date(2026, 3, 2), condition="mass_incident", order=order, summary="")
    after = credit.listing_basis(date(2027, 2, 1), condition="mass_incident", order=order, summary="")
    assert before["document"] == after["document"] == credit.LIST_DOCUMENT
    assert any("宁政办〔2022〕41号" in s for s in before["sources"])
    assert not any("宁政办〔2022〕41号" in s for s in after["sources"])


def test_the_gateway_does_not_start_on_a_rules_file_with_a_typo(tmp_path):
    from newform_gateway.config import DEFAULT_CREDIT_RULES, Settings
    from newform_gateway.main import context_for

    bad = tmp_path / "credit_rules.toml"
    bad.write_text(
        DEFAULT_CREDIT_RULES.read_text(encoding="utf-8").replace('"M6.paid_late"', '"M6.paid_lte"'), encoding="utf-8"
    )
    with pytest.raises(CreditRulesError, match="M6.paid_lte"):
        context_for(Settings(jwt_public_key="x", credit_rules_file=bad))
    assert context_for(Settings(jwt_public_key="x")).credit_rules.records


def test_a_workers_report_or_an_escalation_is_never_a_record():
    from newform_gateway.config import DEFAULT_CREDIT_RULES

    rules = CreditRules.load(DEFAULT_CREDIT_RULES)
    unit = {"related_unit_id": "ent_1", "credit_code": "91630100MA7XXXXXX1"}
    for rule in ("M6.pay_report_unresolved", "M6.complaint_escalated", "M6.max_pay_period"):
        assert rules.record_rule(rule, "confirmed", unit) is None and rule in rules.except_rules
