"""The policy's checks as pure functions: each reject and finding, positive and negative."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from newform_common.collective import Collective, PieceRate, binding_over
from newform_common.policy import get_policy
from newform_contracts import rules
from newform_contracts.classification import rules as classification
from newform_contracts.classification.rules import EngagementFacts
from newform_contracts.contracts import rules as contract_rules
from newform_contracts.contracts import terms as contract_terms
from newform_contracts.contracts.rules import Insurance, PartnerFacts, Span
from newform_contracts.contracts.terms import TermsFacts
from newform_contracts.restrictions import rules as restriction_rules
from newform_contracts.rules_register import rules as register_rules
from newform_contracts.safety import rules as safety_rules
from newform_contracts.verified import rules as verified

from ..kit.contracts import AGREEMENT_FACTS, CIVIL_FACTS, LABOR_FACTS

ON = date(2026, 11, 28)
RED_SNOW = safety_rules.Warning(
    "fct_w",
    "XNQX-1",
    "chengxi",
    "red",
    "snow",
    datetime(2026, 11, 28, 6, tzinfo=UTC),
    None,
    None,
    datetime(2026, 11, 28, 6, tzinfo=UTC),
)


def facts(d: dict) -> EngagementFacts:
    return EngagementFacts(**d)


@pytest.mark.parametrize(
    "given, expected", [(LABOR_FACTS, "labor_contract"), (AGREEMENT_FACTS, "work_agreement"), (CIVIL_FACTS, "civil")]
)
def test_classification_of_clear_cases(given, expected):
    result = classification.classify(facts(given))
    assert result.suggested_type == expected
    assert result.measure == ("M1" if expected == "labor_contract" else "M2")
    assert len(result.criteria) == 7 and all(c.reason for c in result.criteria)


def test_a_rider_under_the_platforms_rules_management_and_pay_who_may_decline_orders_is_an_employee():
    """2005 standard: management + pay + core business carry the relationship; declining orders alone
    (under the platform's schedule) is not the strong autonomy 人社部发〔2021〕56号 describes."""
    result = classification.classify(facts({**LABOR_FACTS, "worker_may_refuse_orders": True}))
    assert result.suggested_type == "labor_contract"
    assert not next(c for c in result.criteria if c.name == "no_right_to_refuse_orders").met
    also_elsewhere = classification.classify(
        facts({**LABOR_FACTS, "worker_may_refuse_orders": True, "worker_works_elsewhere": True})
    )
    assert also_elsewhere.suggested_type == "labor_contract"


def test_own_schedule_plus_working_elsewhere_is_the_strong_autonomy_of_a_work_agreement():
    """`worker_works_elsewhere` counts: with an own schedule it is strong autonomy (56号) even if the
    worker may not refuse orders; with an own schedule alone, the relationship stands."""
    own_schedule = {**LABOR_FACTS, "enterprise_controls_schedule": False}
    assert classification.classify(facts(own_schedule)).suggested_type == "labor_contract"
    assert (
        classification.classify(facts({**own_schedule, "worker_works_elsewhere": True})).suggested_type
        == "work_agreement"
    )
    assert (
        classification.classify(facts({**own_schedule, "worker_may_refuse_orders": True})).suggested_type
        == "work_agreement"
    )


def test_without_one_of_the_2005_elements_there_is_no_labour_relationship():
    for missing in ("enterprise_sets_rules_and_discipline", "enterprise_sets_pay", "work_is_core_business"):
        assert classification.classify(facts({**LABOR_FACTS, missing: False})).suggested_type == "work_agreement", (
            missing
        )
    assert (
        classification.classify(facts({**LABOR_FACTS, "worker_bears_profit_and_loss": True})).suggested_type
        == "work_agreement"
    )


def test_misclassification_only_when_the_declared_type_is_weaker():
    labor = classification.classify(facts(LABOR_FACTS))
    agreement = classification.classify(facts(AGREEMENT_FACTS))
    civil = classification.classify(facts(CIVIL_FACTS))
    assert classification.misclassification("civil", labor).rule == "M1.misclassification"
    assert classification.misclassification("work_agreement", labor).measure == "M1"
    assert classification.misclassification("civil", agreement).rule == "M2.misclassification"
    assert classification.misclassification("labor_contract", labor) is None
    assert classification.misclassification("labor_contract", civil) is None
    assert classification.misclassification("civil", civil) is None


def test_no_deposit_M5():
    assert contract_terms.check_no_deposit(TermsFacts("month", deposit_fen=1)).rule == "M5.no_deposit"
    assert contract_terms.check_no_deposit(TermsFacts("month", worker_fees_fen=1)).measure == "M5"
    assert contract_terms.check_no_deposit(TermsFacts("month")) is None


DISCRIMINATORY = [
    ("gender", ""),
    ("Gender", "male"),
    ("性别", "男"),
    ("sex", "female only"),
    ("年龄", "35岁以下"),
    ("birth_year", "1990年以后出生"),
    ("age", "18-45"),
    ("age", "under 40"),
    ("民族", "汉族"),
    ("宗教", "无宗教信仰"),
    ("religion", "none"),
    ("ethnicity", ""),
    ("工作要求", "仅限男性"),
    ("requirement", "women only"),
    ("体能", "男性，身体健康"),
    ("age", "年满18周岁"),
    ("age", "16"),
    ("age", "年满16周岁，45周岁以下"),
]
LAWFUL = [
    ("age", "年满16周岁"),
    ("年龄", "16周岁以上"),
    ("age", "at least 16 years old"),
    ("driving_licence", "持有C1驾照，年满18周岁"),
    ("driving_licence", "持有C1驾照"),
    ("health_certificate", "持有健康证"),
    ("性别", "男女不限"),
    ("gender", "any"),
    ("manager_approval", "passes a page check"),
]


@pytest.mark.parametrize("attribute, requirement", DISCRIMINATORY, ids=[f"{a}={r}" for a, r in DISCRIMINATORY])
def test_discrimination_is_judged_by_meaning_not_one_spelling_M5(attribute, requirement):
    terms = TermsFacts(
        "month", eligibility_conditions=(contract_terms.Condition(attribute, requirement),), occupation="food_delivery"
    )
    v = contract_terms.check_no_discriminatory_conditions(terms, ON)
    assert v is not None and v.rule == "M5.no_discriminatory_conditions" and attribute in v.detail


@pytest.mark.parametrize("attribute, requirement", LAWFUL, ids=[f"{a}={r}" for a, r in LAWFUL])
def test_lawful_conditions_pass_M5(attribute, requirement):
    terms = TermsFacts(
        "month", eligibility_conditions=(contract_terms.Condition(attribute, requirement),), occupation="food_delivery"
    )
    assert contract_terms.check_no_discriminatory_conditions(terms, ON) is None


def test_a_driving_occupation_may_ask_for_the_licence_age_and_no_more_M5():
    def judged(occupation, requirement):
        return contract_terms.check_no_discriminatory_conditions(
            TermsFacts(
                "month", eligibility_conditions=(contract_terms.Condition("age", requirement),), occupation=occupation
            ),
            ON,
        )

    licence_age = get_policy().value("fair_access.lawful_minimum_age", ON)["driving_licence"]
    assert judged("ride_hailing", f"年满{licence_age}周岁") is None
    assert judged("food_delivery", f"年满{licence_age}周岁") is not None
    assert judged("ride_hailing", f"年满{licence_age + 7}周岁") is not None


@pytest.mark.parametrize("attribute", ["gender", "ethnicity", "age", "religion"])
def test_no_discriminatory_conditions_M5(attribute):
    v = contract_terms.check_no_discriminatory_conditions(TermsFacts("month", eligibility_attributes=(attribute,)), ON)
    assert v.rule == "M5.no_discriminatory_conditions" and attribute in v.detail
    assert (
        contract_terms.check_no_discriminatory_conditions(
            TermsFacts("month", eligibility_attributes=("driving_licence",)), ON
        )
        is None
    )


def test_protected_attributes_are_policy_data():
    assert contract_terms.protected_attributes(ON) == frozenset(
        get_policy().value("fair_access.protected_attributes", ON)
    )


def test_exclusivity_is_judged_by_engagement_type_M5():
    """Lawful in a full-time labour contract (劳动合同法 art. 39(4)); unlawful where the worker keeps the
    freedom to work for others: part-time (art. 69), work agreements and civil agreements."""
    assert (
        contract_terms.check_no_exclusivity(TermsFacts("month", exclusivity=True, engagement_type="labor_contract"))
        is None
    )
    for engagement_type, part_time in (("labor_contract", True), ("work_agreement", False), ("civil", False)):
        v = contract_terms.check_no_exclusivity(
            TermsFacts("month", exclusivity=True, engagement_type=engagement_type, part_time=part_time)
        )
        assert v.rule == "M5.no_exclusivity", engagement_type
    assert contract_terms.check_no_exclusivity(TermsFacts("month", engagement_type="work_agreement")) is None


def test_exclusivity_and_the_overlap_finding_agree_for_a_full_time_labour_contract():
    """The contradiction of issue 8 item 6: exclusivity was refused where a second full-time labour
    contract is itself a finding. Now the clause the overlap rule protects is accepted."""
    terms = TermsFacts("month", exclusivity=True, engagement_type="labor_contract", part_time=False)
    assert (
        contract_terms.contract_rejects(terms, enterprise_kind="platform", engagement_type="labor_contract", on=ON)
        == []
    )


def test_max_pay_period_M6_comes_from_the_policy():
    for period in get_policy().value("pay.allowed_pay_periods", ON):
        assert contract_terms.check_max_pay_period(TermsFacts(period), ON) is None
    assert contract_terms.check_max_pay_period(TermsFacts("quarter"), ON).rule == "M6.max_pay_period"
    longest = get_policy().value("pay.max_pay_period_days", ON)
    assert contract_terms.check_max_pay_period(TermsFacts("month", pay_interval_days=longest), ON) is None
    assert contract_terms.check_max_pay_period(TermsFacts("month", pay_interval_days=longest + 1), ON).measure == "M6"


def test_part_time_labour_contract_is_paid_at_least_every_15_days_M6():
    """劳动合同法 art. 72: 非全日制用工劳动报酬结算支付周期最长不得超过十五日."""
    limit = get_policy().value("pay.part_time.max_pay_period_days", ON)
    assert limit == 15
    monthly = contract_terms.check_max_pay_period(TermsFacts("month"), ON, part_time_labor=True)
    assert monthly.rule == "M6.max_pay_period" and "15" in monthly.detail
    assert contract_terms.check_max_pay_period(TermsFacts("week"), ON, part_time_labor=True) is None
    assert (
        contract_terms.check_max_pay_period(TermsFacts("day", pay_interval_days=limit), ON, part_time_labor=True)
        is None
    )
    assert (
        contract_terms.check_max_pay_period(
            TermsFacts("day", pay_interval_days=limit + 1), ON, part_time_labor=True
        ).rule
        == "M6.max_pay_period"
    )
    # only a part-time *labour contract*: a part-time work agreement keeps the one-month limit
    terms = TermsFacts("month")
    assert (
        contract_terms.contract_rejects(
            terms, enterprise_kind="platform", engagement_type="work_agreement", on=ON, part_time=True
        )
        == []
    )
    assert [
        v.rule
        for v in contract_terms.contract_rejects(
            terms, enterprise_kind="platform", engagement_type="labor_contract", on=ON, part_time=True
        )
    ] == ["M6.max_pay_period"]


def test_pay_period_rule_still_judges_after_the_measures_lapse():
    lapsed = date(2027, 1, 15)
    assert contract_terms.check_max_pay_period(TermsFacts("quarter"), lapsed).rule == "M6.max_pay_period"
    assert contract_terms.check_max_pay_period(TermsFacts("month"), lapsed) is None


def test_dispatch_requires_labor_contract_M3():
    assert (
        contract_terms.check_dispatch_requires_labor_contract("dispatch_agency", "work_agreement").rule
        == "M3.dispatch_requires_labor_contract"
    )
    assert contract_terms.check_dispatch_requires_labor_contract("dispatch_agency", "labor_contract") is None
    assert contract_terms.check_dispatch_requires_labor_contract("outsourcer", "civil") is None


def test_dispatch_licence_invalid_M3():
    start = date(2026, 12, 1)
    assert (
        contract_rules.dispatch_licence_invalid(
            PartnerFacts("dispatch_agency", "L1", date(2026, 11, 30)), start
        ).evidence["licence"]
        == "expired"
    )
    assert (
        contract_rules.dispatch_licence_invalid(PartnerFacts("dispatch_agency"), start).evidence["licence"] == "missing"
    )
    assert contract_rules.dispatch_licence_invalid(PartnerFacts("dispatch_agency", "L1", start), start) is None
    assert contract_rules.dispatch_licence_invalid(PartnerFacts("outsourcer"), start) is None


def test_unqualified_partner_M3():
    assert (
        contract_rules.unqualified_partner(PartnerFacts("outsourcer", qualified=False)).rule == "M3.unqualified_partner"
    )
    assert contract_rules.unqualified_partner(PartnerFacts("franchisee", qualified=False)).measure == "M3"
    assert contract_rules.unqualified_partner(PartnerFacts("agent", qualified=False)).rule == "M3.unqualified_partner"
    assert contract_rules.unqualified_partner(PartnerFacts("agent", qualified=True)) is None
    assert contract_rules.unqualified_partner(PartnerFacts("outsourcer", qualified=True)) is None
    assert contract_rules.unqualified_partner(PartnerFacts("platform", qualified=False)) is None


def test_insurance_M9():
    none = Insurance()
    assert [f.rule for f in contract_rules.insurance_findings("labor_contract", "platform", none)] == [
        "M9.work_injury_insurance"
    ]
    assert [f.rule for f in contract_rules.insurance_findings("labor_contract", "dispatch_agency", none)] == [
        "M9.dispatched_worker_insurance"
    ]
    assert [f.rule for f in contract_rules.insurance_findings("work_agreement", "platform", none)] == [
        "M9.platform_worker_protection"
    ]
    assert contract_rules.insurance_findings("labor_contract", "platform", Insurance(work_injury=True)) == []
    assert contract_rules.insurance_findings("labor_contract", "dispatch_agency", Insurance(work_injury=True)) == []
    assert contract_rules.insurance_findings("civil", "platform", Insurance(accident=True)) == []
    assert contract_rules.insurance_findings("work_agreement", "platform", Insurance(occupational_injury=True)) == []


def test_overlapping_full_time_contract_M1():
    active = [Span(date(2026, 12, 1), date(2027, 11, 30))]
    assert (
        contract_rules.overlapping_full_time_contract(
            "labor_contract", False, Span(date(2027, 6, 1), None), active
        ).rule
        == "M1.overlapping_full_time_contract"
    )
    assert (
        contract_rules.overlapping_full_time_contract("labor_contract", True, Span(date(2027, 6, 1), None), active)
        is None
    )
    assert (
        contract_rules.overlapping_full_time_contract("work_agreement", False, Span(date(2027, 6, 1), None), active)
        is None
    )
    assert (
        contract_rules.overlapping_full_time_contract(
            "labor_contract", False, Span(date(2027, 12, 1), date(2028, 1, 1)), active
        )
        is None
    )
    assert (
        contract_rules.overlapping_full_time_contract(
            "labor_contract", False, Span(date(2026, 1, 1), date(2026, 12, 1)), active
        )
        is not None
    )


def test_suspicious_terms_text_M5():
    assert contract_terms.suspicious_terms_text("须缴纳保证金").rule == "M5.suspicious_terms_text"
    assert "fee" in contract_terms.suspicious_terms_text("A training fee applies").evidence["matched_words"]
    assert contract_terms.suspicious_terms_text("按月支付报酬，feedback welcome") is None


def test_restriction_findings_M5():
    assert [f.rule for f in restriction_rules.restriction_findings("low_rating", True, ON)] == [
        "M5.restriction_without_listed_reason"
    ]
    assert [f.rule for f in restriction_rules.restriction_findings("order_fraud", False, ON)] == [
        "M5.restriction_without_notice"
    ]
    assert restriction_rules.restriction_findings("order_fraud", True, ON) == []
    assert restriction_rules.restriction_reasons(ON) == get_policy().value("fair_access.restriction_reasons", ON)
    assert all(label for label in restriction_rules.restriction_reasons(ON).values())
    # At the worker's own request no notice is owed.
    assert restriction_rules.restriction_findings("worker_request", False, ON) == []


def test_notice_at_the_instant_of_effect_is_no_notice_M5():
    from datetime import datetime, timedelta, timezone

    effective = datetime(2026, 11, 27, 9, tzinfo=timezone(timedelta(hours=8)))
    assert not restriction_rules.notice_given_before(effective, effective)
    assert not restriction_rules.notice_given_before(None, effective)
    assert not restriction_rules.notice_given_before(effective + timedelta(seconds=1), effective)
    assert restriction_rules.notice_given_before(effective - timedelta(days=1), effective)


def test_rule_notice_findings_M10():
    kw = {"topic": "piece_rates", "published_on": date(2026, 11, 10)}
    assert [
        f.rule for f in register_rules.rule_notice_findings(**kw, effective_on=date(2026, 11, 9), consulted=True)
    ] == ["M10.effective_before_publication"]
    assert [
        f.rule for f in register_rules.rule_notice_findings(**kw, effective_on=date(2026, 11, 11), consulted=False)
    ] == ["M10.no_consultation"]
    assert register_rules.rule_notice_findings(**kw, effective_on=date(2026, 11, 11), consulted=True) == []


def test_a_rule_in_effect_on_its_publication_day_had_no_notice_M10():
    kw = {"topic": "piece_rates", "published_on": date(2026, 11, 10), "consulted": True}
    found = register_rules.rule_notice_findings(**kw, effective_on=date(2026, 11, 10))
    assert [f.rule for f in found] == ["M10.effective_without_notice"]
    assert found[0].evidence["min_notice_days"] == get_policy().value("rule_register.min_notice_days", ON)


def test_a_consultation_after_publication_does_not_count_M10():
    kw = {
        "topic": "platform_entry_exit",
        "published_on": date(2026, 11, 10),
        "effective_on": date(2026, 11, 20),
        "consulted": True,
    }
    late = register_rules.rule_notice_findings(**kw, consulted_on=date(2026, 11, 11))
    assert [f.rule for f in late] == ["M10.no_consultation"]
    assert late[0].evidence["reason"] == "consulted after publication"
    assert register_rules.rule_notice_findings(**kw, consulted_on=date(2026, 11, 10)) == []
    assert "platform_entry_exit" in register_rules.RULE_TOPICS


def test_RULES_lists_every_rule_id_the_module_can_emit():
    declared = {r.rule: r.kind for r in rules.RULES}
    assert len(declared) == len(rules.RULES)
    labor = classification.classify(facts(LABOR_FACTS))
    emitted = [
        classification.misclassification("civil", labor),
        classification.misclassification("civil", classification.classify(facts(AGREEMENT_FACTS))),
        contract_rules.dispatch_licence_invalid(PartnerFacts("dispatch_agency"), ON),
        contract_rules.dispatch_licence_lapsed(
            PartnerFacts("dispatch_agency", "L-1", date(2027, 3, 31)), date(2027, 4, 1), ON
        ),
        contract_rules.unqualified_partner(PartnerFacts("agent", qualified=False)),
        *contract_rules.insurance_findings("labor_contract", "platform", Insurance()),
        *contract_rules.insurance_findings("labor_contract", "dispatch_agency", Insurance()),
        *contract_rules.insurance_findings("civil", "platform", Insurance()),
        contract_rules.overlapping_full_time_contract("labor_contract", False, Span(ON, None), [Span(ON, None)]),
        contract_terms.suspicious_terms_text("押金"),
        *contract_terms.collective_standard_undercut("labor_contract", "food_delivery", {"meal": 1}, [COLLECTIVE]),
        *restriction_rules.restriction_findings("x", False),
        *register_rules.rule_notice_findings(
            topic="piece_rates", published_on=ON, effective_on=date(2026, 11, 1), consulted=False
        ),
        *register_rules.rule_notice_findings(topic="piece_rates", published_on=ON, effective_on=ON, consulted=True),
        *register_rules.safety_indicator_findings(
            {
                "min_delivery_time_limit_minutes": 10,
                "on_time_rate_target_percent": 100,
                "online_rate_target_percent": 100,
                "late_penalty_fen": 10**6,
            },
            topic="rewards_penalties",
            effective_on=ON,
        ),
        safety_rules.no_response(RED_SNOW, RED_SNOW.starts_at),
        safety_rules.without_measure(RED_SNOW, "unchanged", 0),
        # verified.py: a department's fact contradicting the declaration
        *verified.declared_insurance_contradicted(
            {"work_injury": True},
            [
                verified.Enrolment(
                    "medins", "YB-1", "fct_1", "work_injury", "not_enrolled", None, None, datetime.now(UTC)
                )
            ],
            ON,
        ),
    ]
    assert {f.rule for f in emitted} == {r for r, kind in declared.items() if kind == "finding"}
    rejects = contract_terms.contract_rejects(
        TermsFacts(
            "quarter", deposit_fen=1, exclusivity=True, engagement_type="civil", eligibility_attributes=("gender",)
        ),
        enterprise_kind="dispatch_agency",
        engagement_type="civil",
        on=ON,
    )
    assert {v.rule for v in rejects} == {r for r, kind in declared.items() if kind == "reject"}


def test_every_rule_id_names_its_measure():
    specs = [
        classification.misclassification("civil", classification.classify(facts(LABOR_FACTS))),
        contract_terms.suspicious_terms_text("押金"),
        *contract_terms.collective_standard_undercut("labor_contract", "food_delivery", {"meal": 1}, [COLLECTIVE]),
        *restriction_rules.restriction_findings("x", False),
    ]
    for spec in specs:
        assert spec.rule.split(".")[0] == spec.measure


def test_verified_insurance_the_latest_statement_per_type_decides():
    at = datetime(2026, 6, 1, tzinfo=UTC)
    later = datetime(2026, 7, 1, tzinfo=UTC)
    hrss_enrolled = verified.Enrolment("hrss", "SB-1", "f1", "work_injury", "enrolled", date(2026, 1, 1), None, at)
    medins_not = verified.Enrolment("medins", "YB-1", "f2", "work_injury", "not_enrolled", None, None, later)
    declared = {"work_injury": True, "occupational_injury": False}
    assert verified.declared_insurance_contradicted(declared, [hrss_enrolled], ON) == []
    [found] = verified.declared_insurance_contradicted(declared, [hrss_enrolled, medins_not], ON)
    assert found.evidence["source"] == "medins" and found.measure == "M9"
    ended = verified.Enrolment(
        "hrss", "SB-2", "f3", "work_injury", "enrolled", date(2025, 1, 1), date(2025, 12, 31), at
    )
    [lapsed] = verified.declared_insurance_contradicted(declared, [ended], date(2026, 6, 1))
    assert lapsed.evidence["verified_status"] == "not_in_force"
    assert verified.declared_insurance_contradicted({"work_injury": False}, [medins_not], ON) == []


def test_a_declared_licence_running_out_during_the_term_is_watched_from_its_first_invalid_day_M3():
    agency = PartnerFacts("dispatch_agency", "青人社派许字〔2024〕0012号", date(2027, 3, 31))
    assert contract_rules.licence_lapses_during(agency, date(2026, 12, 1), date(2027, 11, 30)) == date(2027, 4, 1)
    assert contract_rules.licence_lapses_during(agency, date(2026, 12, 1), None) == date(2027, 4, 1)  # open-ended
    assert (
        contract_rules.licence_lapses_during(agency, date(2026, 12, 1), date(2027, 3, 31)) is None
    )  # outlasts the term
    assert (
        contract_rules.licence_lapses_during(agency, date(2027, 5, 1), None) is None
    )  # invalid at the start: drafting
    assert contract_rules.licence_lapses_during(PartnerFacts("outsourcer"), date(2026, 12, 1), None) is None
    spec = contract_rules.dispatch_licence_lapsed(agency, date(2027, 4, 1), date(2026, 12, 1))
    assert spec.rule == "M3.dispatch_licence_invalid" and spec.evidence["invalid_from"] == "2027-04-01"
    assert spec.evidence["liable_party"] == "platform"


COLLECTIVE = Collective(
    "cc_1",
    platform_ids=frozenset({"p1"}),
    districts=frozenset(),
    occupations=frozenset(),
    effective_from=date(2026, 1, 1),
    effective_until=date(2026, 12, 31),
    in_force_on=date(2026, 2, 1),
    piece_rates=(PieceRate("food_delivery", "meal", 500), PieceRate("courier", "meal", 800)),
)


def test_a_piece_rate_below_the_collective_one_is_undercut_at_it_or_silent_not():
    """劳动合同法 art. 55; the measures item 6 (agreements; silence takes the collective standard)."""
    undercut = contract_terms.collective_standard_undercut
    (found,) = undercut("labor_contract", "food_delivery", {"meal": 499, "parcel": 1}, [COLLECTIVE])
    assert found.rule == "M6.collective_standard_undercut" and found.measure == "M6"
    assert found.evidence["undercut"] == [{"order_type": "meal", "rate_fen": 499, "agreed_min_rate_fen": 500}]
    assert "第五十五条" in found.evidence["legal_source"]
    (agreement,) = undercut("work_agreement", "food_delivery", {"meal": 499}, [COLLECTIVE])
    assert "第六项" in agreement.evidence["legal_source"]
    assert undercut("labor_contract", "food_delivery", {"meal": 500}, [COLLECTIVE]) == []
    assert undercut("labor_contract", "food_delivery", {"parcel": 1}, [COLLECTIVE]) == []  # silent on meal
    assert undercut("labor_contract", "food_delivery", None, [COLLECTIVE]) == []
    assert undercut("civil", "food_delivery", {"meal": 1}, [COLLECTIVE]) == []


def test_a_collective_contract_binds_a_term_from_its_entry_into_force_until_it_ends():
    """劳动合同法 art. 54: in force once hrss raised no objection; ended: through its last day (`ended_on`)."""

    def binds(start, end, c=COLLECTIVE, **where):
        place = {"platform_id": "p1", "occupation": "food_delivery", "district": "chengxi", **where}
        return bool(binding_over([c], place["platform_id"], place["occupation"], place["district"], start, end))

    assert not binds(date(2026, 1, 1), date(2026, 1, 31))  # agreed from 1 January, in force from 1 February
    assert binds(date(2026, 1, 1), date(2026, 2, 1))
    assert binds(date(2025, 1, 1), None)
    assert not binds(date(2027, 1, 1), None)  # after effective_until
    assert not binds(date(2026, 3, 1), None, platform_id="p2")
    ended = Collective(**{**COLLECTIVE.__dict__, "ended_on": date(2026, 5, 31)})  # its last day (unions' word)
    assert binds(date(2026, 5, 31), None, ended) and not binds(date(2026, 6, 1), None, ended)
    district = Collective(**{**COLLECTIVE.__dict__, "districts": frozenset({"datong"})})
    assert not binds(date(2026, 3, 1), None, district) and binds(date(2026, 3, 1), None, district, district="datong")


def test_safety_indicators_are_judged_against_their_parameters_on_the_day_the_rule_takes_effect():
    """M8 (宁政办〔2022〕41号 item 8; 国市监网监发〔2021〕38号): each indicator beyond its parameter is a finding
    citing the parameter and its source; indicators within the limits, or not stated, raise none."""
    policy = get_policy()
    shortest = policy.value("safety.indicators.min_delivery_time_limit_minutes", ON)
    strictest = policy.value("safety.indicators.max_on_time_rate_target_percent", ON)
    found = register_rules.safety_indicator_findings(
        {"min_delivery_time_limit_minutes": shortest - 1, "on_time_rate_target_percent": strictest},
        topic="rewards_penalties",
        effective_on=ON,
    )
    assert [f.rule for f in found] == ["M8.indicator_delivery_time_too_short"]
    assert (
        found[0].evidence["limit"] == shortest and "国市监网监发〔2021〕38号" in found[0].evidence["parameter_source"]
    )
    assert register_rules.safety_indicator_findings({}, topic="rewards_penalties", effective_on=ON) == []


def test_a_warning_calls_for_a_response_only_from_orange_and_while_its_window_is_open():
    """M8: orange and red call for a response within the parameter's time after the window starts (or after
    the warning was recorded, if later); a warning lifted before then asks nothing more."""
    minutes = get_policy().value("safety.weather_warning.response_within_minutes", ON)
    assert safety_rules.clock_runs(RED_SNOW)
    assert safety_rules.response_due(RED_SNOW) == RED_SNOW.starts_at + timedelta(minutes=minutes)
    late = dataclasses.replace(RED_SNOW, observed_at=RED_SNOW.starts_at + timedelta(hours=5))
    assert safety_rules.response_due(late) == late.observed_at + timedelta(minutes=minutes)
    assert not safety_rules.clock_runs(dataclasses.replace(RED_SNOW, level="yellow"))
    lifted = dataclasses.replace(RED_SNOW, cancelled_at=RED_SNOW.starts_at + timedelta(minutes=minutes - 1))
    assert not safety_rules.clock_runs(lifted)
    assert safety_rules.without_measure(RED_SNOW, "limited", 0) is None
    assert safety_rules.without_measure(RED_SNOW, "unchanged", 15) is None
