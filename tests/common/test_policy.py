"""Policy as data: sources with their own dates, value lookup by date, the measures' lapse and
provisional continuation, successor versions, validation, the shared vocabulary, holidays."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import get_args

import pytest

from newform_common import vocabulary
from newform_common.policy import (
    ENV_VAR,
    MEASURES,
    Parameter,
    ParameterNotInForce,
    PolicyError,
    PolicyNotInForce,
    business_date,
    business_today,
    get_policy,
    load_policy,
)

ALL_DEPARTMENTS = [
    "hrss",
    "court",
    "union",
    "transport",
    "market",
    "postal",
    "culture",
    "drc",
    "emergency",
    "health",
    "police",
    "medins",
    "tax",
    "housing",
    "construction",
    "urban",
    "education",
    "sports",
    "justice",
    "bigdata",
    "county",
]


@pytest.fixture(scope="module")
def policy():
    return load_policy()


ROOT = Path(__file__).resolve().parents[2]
LAPSED = date(2027, 1, 15)  # after the measures' valid_until, no successor loaded


def successor_toml(
    vid: str, valid_from: str, valid_until: str, monthly_fen: int, extends: bool = True, series: str = ""
) -> str:
    return textwrap.dedent(
        f"""
        [version]
        id = "{vid}"
        document = "宁政办〔2026〕99号"
        title = "test successor"
        valid_from = {valid_from}
        valid_until = {valid_until}
        {'extends = "xining-2022-41"' if extends else ""}
        {f'series = "{series}"' if series else ""}

        [[parameter]]
        name = "pay.minimum_wage.monthly_fen"
        measure = "M6"
        unit = "fen"
        source = "test"
        values = [{{ effective_from = {valid_from}, value = {monthly_fen} }}]
        """
    )


# -- version and value by date ----------------------------------------------------------------
def test_bundled_sources_each_with_their_own_dates(policy):
    by_id = {v.id: v for v in policy.versions()}
    assert set(by_id) == {"national-law", "qinghai-minimum-wage", "mohrss-2023-50", "xining-2022-41"}
    measures = by_id["xining-2022-41"]
    assert measures.document == "宁政办〔2022〕41号" and measures.kind == "municipal_measures"
    assert (measures.valid_from, measures.valid_until) == (date(2022, 4, 24), date(2026, 12, 21))
    assert measures.continues_provisionally and policy.measures_series == measures.series
    guideline = by_id["mohrss-2023-50"]
    assert guideline.document == "人社厅发〔2023〕50号" and guideline.valid_from == date(2024, 2, 23)
    assert by_id["national-law"].kind == "law" and by_id["qinghai-minimum-wage"].kind == "provincial_standard"
    # laws and standing standards do not expire with the measures
    for vid in ("national-law", "qinghai-minimum-wage", "mohrss-2023-50"):
        assert by_id[vid].valid_until == date.max and not by_id[vid].continues_provisionally
    assert policy.version_on(date(2022, 4, 24)) == measures
    assert policy.version_on(date(2026, 12, 21)) == measures


def test_each_parameter_comes_from_its_own_source(policy):
    on = date(2024, 6, 1)
    source_of = {
        "pay.minimum_wage.monthly_fen": "qinghai-minimum-wage",
        "hours.statutory_weekly_hours": "national-law",
        "pay.overtime_multiplier_percent.statutory_holiday": "national-law",
        "disputes.arbitration_limit_days": "national-law",
        "pay.part_time.max_pay_period_days": "national-law",
        "pay.minimum_wage.basis": "mohrss-2023-50",
        "hours.working_time_components": "mohrss-2023-50",
        "pay.max_pay_period_days": "xining-2022-41",
        "routing.departments.M6": "xining-2022-41",
    }
    for name, version in source_of.items():
        p = policy.value_with_source(name, on)
        assert (p.version, p.provisional) == (version, False), name


def test_guideline_parameters_date_from_its_publication(policy):
    """人社厅发〔2023〕50号 was published 2024-02-23: before that day the measures' default applies."""
    before = policy.value_with_source("pay.minimum_wage.basis", date(2024, 2, 22))
    on_the_day = policy.value_with_source("pay.minimum_wage.basis", date(2024, 2, 23))
    assert before.version == "xining-2022-41" and "newform default" in before.source
    assert on_the_day.version == "mohrss-2023-50" and "人社厅发〔2023〕50号" in on_the_day.source
    assert on_the_day.effective_from == date(2024, 2, 23)
    assert policy.value_with_source("hours.working_time_components", date(2024, 2, 1)).version == "xining-2022-41"


def test_laws_apply_from_their_own_dates_not_the_measures(policy):
    # before the measures existed, the Labour Law's hours and Qinghai's minimum wage already applied
    assert policy.value("hours.statutory_daily_hours", date(2021, 6, 1)) == 8
    assert policy.value("pay.minimum_wage.monthly_fen", date(2021, 6, 1)) == 170000
    assert policy.value("disputes.arbitration_limit_days", date(2021, 6, 1)) == 45
    # the 40-hour week dates from 国务院令第174号 (1995-05-01), the Labour Law from 1995-01-01
    assert policy.value("hours.statutory_daily_hours", date(1995, 4, 30)) == 8
    with pytest.raises(ParameterNotInForce) as exc:
        policy.value("hours.statutory_weekly_hours", date(1995, 4, 30))
    assert exc.value.predates
    # a figure only the measures set did not exist before them: 422 for such a fact
    with pytest.raises(PolicyNotInForce) as exc:
        policy.value("pay.max_pay_period_days", date(2021, 6, 1))
    assert exc.value.predates


def test_after_the_measures_lapse_laws_apply_and_measures_run_provisionally(policy):
    law = policy.value_with_source("hours.overtime.max_monthly_hours", LAPSED)
    assert (law.value, law.version, law.provisional) == (36, "national-law", False)
    wage = policy.value_with_source("pay.minimum_wage.monthly_fen", LAPSED)
    assert (wage.value, wage.provisional) == (188000, False)
    guideline = policy.value_with_source("pay.minimum_wage.basis", LAPSED)
    assert (guideline.version, guideline.provisional) == ("mohrss-2023-50", False)
    measures_only = policy.value_with_source("pay.max_pay_period_days", LAPSED)
    assert (measures_only.value, measures_only.version, measures_only.provisional) == (31, "xining-2022-41", True)
    assert policy.departments_for_measure("M6", LAPSED)[0] == "hrss"
    assert policy.measure_titles(LAPSED)["M6"]["zh"] == "保障劳动者取得劳动报酬的权利"
    status = policy.measures_status(LAPSED)
    assert status.provisional and status.lapsed_on == date(2026, 12, 21)
    assert not policy.measures_status(date(2026, 12, 21)).provisional
    with pytest.raises(PolicyNotInForce):  # the measures are not *in force*: only applied provisionally
        policy.version_on(LAPSED)
    # every parameter the laws or standards set stays in force; every measures-only one is provisional
    for name in policy.names(LAPSED):
        p = policy.parameter(name, LAPSED)
        assert p.provisional == (p.version == "xining-2022-41"), name


def test_rule_basis_is_provisional_only_for_rules_resting_on_the_measures_alone(policy):
    in_force = policy.rule_basis("M5.no_exclusivity", date(2026, 12, 21))
    assert not in_force.provisional and in_force.measures_version == "xining-2022-41"
    lapsed = policy.rule_basis("M5.no_exclusivity", LAPSED)
    assert lapsed.provisional and lapsed.evidence() == {"provisional": True, "measures_version": "xining-2022-41"}
    statutory = policy.rule_basis("M5.no_deposit", LAPSED, "labor_contract")
    assert not statutory.provisional and "劳动合同法" in statutory.statutory_basis
    # 劳动合同法 covers labour contracts only: for a civil agreement the measures alone forbid a deposit
    assert policy.rule_basis("M5.no_deposit", LAPSED, "civil").provisional
    assert policy.rule_basis("M5.no_deposit", LAPSED).provisional  # engagement unknown: not assumed
    assert not policy.rule_basis("M9.work_injury_insurance", LAPSED).provisional
    assert not policy.rule_basis("M5.no_discriminatory_conditions", LAPSED, "civil").provisional  # 就业促进法


def test_statutory_basis_names_only_rules_the_services_emit(policy):
    """A table entry for a rule no code emits would silently never apply (ids typed in data, checked)."""
    from newform_common.findings import rule_catalogue

    emitted, any_measure = set(rule_catalogue()), set()
    for rules_py in ROOT.glob("services/*/newform_*/rules.py"):
        text = rules_py.read_text(encoding="utf-8")
        emitted |= set(re.findall(r'"(M\d+\.[a-z0-9_]+)"', text))
        any_measure |= set(re.findall(r'f"\{measure\}\.([a-z0-9_]+)"', text))  # e.g. f"{measure}.misclassification"
    for measure in MEASURES:
        try:
            table = policy.value(f"rules.statutory_basis.{measure}", date(2024, 6, 1))
        except KeyError:
            continue
        for rule in table:
            assert rule.startswith(f"{measure}.") and (rule in emitted or rule.split(".")[1] in any_measure), rule


def test_the_duties_laws_carry_stay_law_after_the_measures_lapse(policy):
    """X-3: minimum wage, premiums, arrears, working time, the rest break and insurance outlive the measures."""
    for rule in (
        "M6.minimum_wage",
        "M6.overtime_premium",
        "M6.wage_arrears",
        "M6.paid_late",
        "M7.daily_hours",
        "M7.monthly_overtime",
        "M7.rest_break",
        "M9.work_injury_insurance",
        "M20.wage_arrears_enforcement",
    ):
        basis = policy.rule_basis(rule, LAPSED, "labor_contract")
        assert not basis.provisional and basis.statutory_basis, rule
    # A work agreement's pay and rest rest on the national guideline (人社厅发〔2023〕50号), a different source.
    for rule in ("M6.minimum_wage", "M6.overtime_premium", "M6.wage_arrears", "M7.rest_break"):
        basis = policy.rule_basis(rule, LAPSED, "work_agreement")
        assert not basis.provisional and "50号" in basis.statutory_basis, rule
    assert "劳动法" in policy.rule_basis("M6.minimum_wage", LAPSED, "labor_contract").statutory_basis
    # Working-time limits for a work agreement rest on the measures alone: provisional after they lapse.
    assert policy.rule_basis("M7.daily_hours", LAPSED, "work_agreement").provisional
    assert policy.rule_basis("M6.minimum_wage", LAPSED, "civil").provisional


def test_a_finding_is_judged_on_its_facts_first_date_not_the_judging_day():
    from newform_common.findings import FindingSpec, Severity, fact_date

    spec = FindingSpec(
        "M6", "M6.minimum_wage", Severity.high, "x", {"period_start": "2026-12-01", "period_end": "2026-12-31"}
    )
    assert fact_date(spec) == date(2026, 12, 1)
    assert fact_date(FindingSpec("M6", "r", Severity.low, "x", {"month": "2026-12"})) == date(2026, 12, 1)
    assert fact_date(FindingSpec("M6", "r", Severity.low, "x", {"note": "no dates"})) is None
    assert fact_date(FindingSpec("M6", "r", Severity.low, "x", {}, fact_on=date(2026, 5, 2))) == date(2026, 5, 2)


def test_a_successor_ends_the_provisional_continuation(tmp_path: Path):
    (tmp_path / "xining-2026-99.toml").write_text(
        successor_toml("xining-2026-99", "2026-12-22", "2031-12-31", 200000), encoding="utf-8"
    )
    policy = load_policy([tmp_path])
    p = policy.value_with_source("pay.max_pay_period_days", LAPSED)
    assert (p.version, p.provisional) == ("xining-2026-99", False)  # inherited through `extends`
    assert not policy.measures_status(LAPSED).provisional
    assert not policy.rule_basis("M5.no_exclusivity", LAPSED).provisional


def test_a_source_that_does_not_continue_leaves_its_parameters_uncovered(tmp_path: Path):
    """503 policy-not-in-force remains for a parameter no source covers on the date."""
    (tmp_path / "local-standard.toml").write_text(
        textwrap.dedent(
            """
        [version]
        id = "local-standard"
        kind = "provincial_standard"
        document = "test"
        title = "a standard valid for one year"
        valid_from = 2024-01-01
        valid_until = 2024-12-31

        [[parameter]]
        name = "test.local_figure"
        measure = "M6"
        unit = "fen"
        source = "test"
        values = [{ effective_from = 2024-01-01, value = 1 }]
        """
        ),
        encoding="utf-8",
    )
    policy = load_policy([tmp_path])
    assert policy.value("test.local_figure", date(2024, 6, 1)) == 1
    with pytest.raises(PolicyNotInForce) as after:
        policy.value("test.local_figure", date(2025, 1, 1))
    assert not after.value.predates  # the successor's gap: 503 with Retry-After
    with pytest.raises(PolicyNotInForce) as before:
        policy.value("test.local_figure", date(2023, 6, 1))
    assert before.value.predates  # older than the source: 422


def test_new_figures_for_wages_disputes_and_training(policy):
    on = date(2025, 6, 1)
    expected = {
        "pay.part_time.max_pay_period_days": (15, "劳动合同法 art. 72"),
        "hours.part_time.max_daily_hours_average": (4, "劳动合同法 art. 68"),
        "hours.part_time.max_weekly_hours": (24, "劳动合同法 art. 68"),
        "disputes.arbitration.accept_decision_days": (5, "第33号"),
        "disputes.arbitration_limit_days": (45, "art. 43"),
        "disputes.arbitration_extension_days": (15, "art. 43"),
        "disputes.arbitration.limitation_years": (1, "art. 27"),
        "disputes.award_final.max_claim_minimum_wage_months": (12, "art. 47"),
        "disputes.in_company_mediation.accept_working_days": (3, "第17号"),
        "disputes.in_company_mediation.limit_days": (15, "第17号"),
        "disputes.one_stop_mediation.limit_days": (15, "人社厅发〔2024〕4号"),
        "disputes.one_stop_mediation.extension_days": (15, "人社厅发〔2024〕4号"),
        "disputes.negotiation_reply_days": (5, "第17号"),
        "wages.refusal_to_pay.min_months_unpaid": (3, "法释〔2013〕3号"),
        "wages.refusal_to_pay.single_worker_amount_fen_range": ([500000, 2000000], "法释〔2013〕3号"),
        "wages.refusal_to_pay.min_workers": (10, "法释〔2013〕3号"),
        "wages.refusal_to_pay.many_workers_amount_fen_range": ([3000000, 10000000], "法释〔2013〕3号"),
        "wages.arrears_credit_list.listed_years": (3, "第45号"),
        "wages.arrears_credit_list.removal_after_correction_months": (6, "第45号"),
        "training.skills_subsidy.claim_window_months": (12, "subsidy"),
        "training.skills_subsidy.max_per_person_per_year": (1, "subsidy"),
        "training.skills_subsidy.higher_level_blocks_lower": (True, "subsidy"),
        "rest.night_window.start": ("22:00", "22点"),
        "rest.night_window.end": ("06:00", "6点"),
    }
    for name, (value, cited) in expected.items():
        p = policy.parameter(name, on)
        assert p.value == value and cited in p.source and not p.provisional, name
    conditions = policy.value("wages.arrears_credit_list.listing_conditions", on)
    assert "mass_incident" in conditions
    clock = policy.value("disputes.arbitration.clock_pauses", on)
    assert clock["pauses_on"] == ["suspended"] and "party_added" in clock["restarts_on"]
    # the award is final for claims up to 12 months of the local monthly minimum wage
    assert (
        policy.value("disputes.award_final.max_claim_minimum_wage_months", on)
        * policy.value("pay.minimum_wage.monthly_fen", on)
    ) == 12 * 188000


def test_fair_access_and_scorecards_are_data(policy):
    on = date(2025, 6, 1)
    assert set(policy.value("fair_access.protected_attributes", on)) >= {"gender", "ethnicity", "age", "religion"}
    reasons = policy.value("fair_access.restriction_reasons", on)
    assert reasons["order_fraud"] == "刷单、虚构订单等欺诈行为" and all(reasons.values())
    assert policy.value("scorecards.contract_coverage_percent", on) == {"basic": 50, "good": 90}
    assert policy.value("scorecards.consulted_share_percent", on) == {"basic": 50, "good": 100}


def test_vocabulary_from_the_policy_data():
    assert vocabulary.districts(date(2025, 6, 1))["chengdong"] == "城东区"
    assert vocabulary.occupations(LAPSED)["courier"] == "快递员"
    assert vocabulary.engagement_types()["work_agreement"] == "书面用工协议"
    assert vocabulary.sectors()["express_delivery"] == "快递"
    assert vocabulary.codes("districts") == (
        "chengdong",
        "chengzhong",
        "chengxi",
        "chengbei",
        "huangzhong",
        "datong",
        "huangyuan",
    )
    assert get_args(vocabulary.literal("engagement_types")) == ("labor_contract", "work_agreement", "civil")
    occupation_sectors = get_policy().value("reference.occupation_sectors", date(2025, 6, 1))
    assert set(occupation_sectors) == set(vocabulary.codes("occupations"))
    assert set(occupation_sectors.values()) <= set(vocabulary.codes("sectors"))
    with pytest.raises(KeyError):
        vocabulary.names("planets")


def test_the_event_vocabulary_agrees_with_the_policy_data():
    """Events keep their own versioned Literal (a new code is a new event version); it must not drift."""
    from newform_contracts import events

    assert get_args(events.EngagementType) == vocabulary.codes("engagement_types")


def test_business_today_is_the_shanghai_date():
    assert business_today() == datetime.now(UTC).astimezone(timezone(timedelta(hours=8))).date()


def test_minimum_wage_by_date(policy):
    assert policy.value("pay.minimum_wage.monthly_fen", date(2022, 6, 1)) == 170000
    assert policy.value("pay.minimum_wage.hourly_fen", date(2022, 6, 1)) == 1520
    assert policy.value("pay.minimum_wage.monthly_fen", date(2024, 6, 1)) == 188000
    assert policy.value("pay.minimum_wage.hourly_fen", date(2024, 6, 1)) == 1800
    # the change-over day itself
    assert policy.value("pay.minimum_wage.monthly_fen", date(2023, 1, 31)) == 170000
    assert policy.value("pay.minimum_wage.monthly_fen", date(2023, 2, 1)) == 188000


def test_parameter_carries_measure_unit_source(policy):
    p = policy.parameter("pay.minimum_wage.monthly_fen", date(2024, 6, 1))
    assert isinstance(p, Parameter)
    assert (p.name, p.measure, p.unit, p.value) == ("pay.minimum_wage.monthly_fen", "M6", "fen", 188000)
    assert p.effective_from == date(2023, 2, 1)
    assert "青政〔2023〕8号" in p.source
    assert (p.version, p.series, p.provisional) == ("qinghai-minimum-wage", "qinghai-minimum-wage", False)


def test_seeded_values(policy):
    on = date(2024, 6, 1)
    expected = {
        "pay.max_pay_period_days": 31,
        "pay.allowed_pay_periods": ["hour", "day", "week", "month"],
        "pay.overtime_multiplier_percent.working_day": 150,
        "pay.overtime_multiplier_percent.rest_day": 200,
        "pay.overtime_multiplier_percent.statutory_holiday": 300,
        "pay.records_retention_years": 3,
        "hours.statutory_daily_hours": 8,
        "hours.statutory_weekly_hours": 40,
        "hours.overtime.normal_daily_hours": 1,
        "hours.overtime.max_daily_hours": 3,
        "hours.overtime.max_monthly_hours": 36,
        "rest.quota_achievable_share_percent": 90,
        "rest.forced_break.after_continuous_minutes": 240,
        "rest.forced_break.minutes": 20,
        "rest.night_window.start": "22:00",
        "rest.night_window.end": "06:00",
        "disputes.mediation_limit_days": 15,
        "disputes.arbitration_limit_days": 45,
        "disputes.arbitration_extension_days": 15,
        "training.skills_subsidy.amount_fen_by_level": {"junior": 100000, "intermediate": 150000, "senior": 200000},
        "training.skills_subsidy.unique_per": ["person", "occupation", "level"],
        "training.skills_subsidy.max_per_person_per_year": 1,
        "alerts.handling_deadline_days.M6": 5,
    }
    for name, value in expected.items():
        assert policy.value(name, on) == value, name
    basis = policy.value("pay.minimum_wage.basis", on)
    assert basis["labor_contract"] == "monthly" and basis["work_agreement"] == "hourly"
    for m in MEASURES:
        assert policy.alert_deadline_days(m, on) > 0
        assert policy.parameter(f"alerts.handling_deadline_days.{m}", on).measure == m


def test_every_parameter_cites_a_known_measure(policy):
    on = date(2024, 6, 1)
    for name in policy.names(on):
        p = policy.parameter(name, on)
        assert p.measure in MEASURES and p.source and p.unit, name


def test_measures_titles(policy):
    titles = policy.measure_titles(date(2024, 6, 1))
    assert list(titles) == list(MEASURES) == [f"M{i}" for i in range(1, 21)]
    assert {m: t["en"] for m, t in titles.items()} == MEASURES
    assert titles["M6"]["zh"] == "保障劳动者取得劳动报酬的权利"


def test_returned_values_are_copies(policy):
    on = date(2024, 6, 1)
    policy.value("pay.allowed_pay_periods", on).append("year")
    policy.departments_for_measure("M6", on).clear()
    assert policy.value("pay.allowed_pay_periods", on) == ["hour", "day", "week", "month"]
    assert policy.departments_for_measure("M6", on)


def test_outside_validity_raises(policy):
    with pytest.raises(PolicyNotInForce):
        policy.version_on(date(2022, 4, 23))
    with pytest.raises(PolicyNotInForce):
        policy.measures_status(date(2022, 4, 23))
    with pytest.raises(PolicyNotInForce):
        policy.value("routing.departments.M6", date(2022, 4, 23))


def test_unknown_name_raises_keyerror(policy):
    with pytest.raises(KeyError):
        policy.value("pay.no_such_thing", date(2024, 6, 1))
    with pytest.raises(KeyError):
        policy.departments_for_measure("M21", date(2024, 6, 1))
    with pytest.raises(KeyError):
        policy.sector_regulators("astronaut", date(2024, 6, 1))


def test_aware_datetime_is_converted_to_shanghai_date(policy):
    # 2023-01-31 16:30 UTC is 2023-02-01 00:30 in Shanghai: the new minimum wage applies
    moment = datetime(2023, 1, 31, 16, 30, tzinfo=UTC)
    assert business_date(moment) == date(2023, 2, 1)
    assert policy.value("pay.minimum_wage.monthly_fen", moment) == 188000
    assert policy.value("pay.minimum_wage.monthly_fen", datetime(2023, 1, 31, 15, 59, tzinfo=UTC)) == 170000
    with pytest.raises(ValueError):
        policy.value("pay.minimum_wage.monthly_fen", datetime(2024, 6, 1, 12, 0))


# -- routing and reference data ---------------------------------------------------------------
def test_departments_for_m6_match_catalogue(policy):
    assert policy.departments_for_measure("M6", date(2024, 6, 1)) == [
        "hrss",
        "drc",
        "court",
        "union",
        "transport",
        "market",
        "postal",
        "culture",
        "county",
    ]


def test_departments_for_every_measure(policy):
    on = date(2024, 6, 1)
    as_m1 = ["hrss", "court", "union", "transport", "market", "postal", "culture", "county"]
    expected = {
        "M1": as_m1,
        "M2": as_m1,
        "M3": as_m1,
        "M4": ["hrss", "union", "transport", "market", "postal", "culture", "county"],
        "M5": as_m1,
        "M7": ["hrss", "union", "transport", "market", "postal", "culture", "county"],
        "M8": ["hrss", "emergency", "health", "police", "union", "transport", "market", "postal", "culture", "county"],
        "M9": ["hrss", "medins", "transport", "market", "postal", "culture", "county"],
        "M10": ["union", "hrss", "transport", "market", "postal", "culture", "county"],
        "M11": ["hrss", "tax", "union", "transport", "market", "postal", "culture", "county"],
        "M12": ["hrss", "tax", "county"],
        "M13": ["hrss", "union", "transport", "market", "postal", "culture", "county"],
        "M14": ["drc", "housing", "construction", "transport", "urban", "county"],
        "M15": ["culture", "education", "sports", "county"],
        # Item 16's 17 city departments, in its order: no district governments, urban, justice or bigdata.
        "M16": [
            "hrss",
            "union",
            "court",
            "drc",
            "police",
            "medins",
            "health",
            "emergency",
            "sports",
            "housing",
            "construction",
            "tax",
            "education",
            "transport",
            "market",
            "postal",
            "culture",
        ],
        "M17": ["union", "hrss", "transport", "market", "postal", "culture", "county"],
        "M18": ["court", "hrss", "justice", "county"],
        "M19": ["drc", "bigdata", "hrss", "market", "transport", "postal", "county"],
        "M20": ["hrss", "union", "health", "emergency", "market", "transport", "postal", "culture", "county"],
    }
    for measure, codes in expected.items():
        assert policy.departments_for_measure(measure, on) == codes, measure
    assert sorted(policy.departments(on)) == sorted(ALL_DEPARTMENTS)


def test_sector_regulators_and_route(policy):
    on = date(2024, 6, 1)
    assert policy.sector_regulators("courier", on) == ["postal"]
    for occ in ("ride_hailing", "freight_driver", "designated_driver"):
        assert policy.sector_regulators(occ, on) == ["transport"]
    assert policy.sector_regulators("internet_marketer", on) == ["culture", "market"]
    assert policy.sector_regulators("food_delivery", on) == ["market"]
    assert policy.sector_regulators("on_demand_delivery", on) == ["market"]
    assert policy.route("M12", on, occupation="courier") == ["hrss", "tax", "county", "postal"]
    assert policy.route("M6", on, occupation="courier") == policy.departments_for_measure("M6", on)


def test_reference_tables(policy):
    on = date(2024, 6, 1)
    assert policy.districts(on) == {
        "chengdong": "城东区",
        "chengzhong": "城中区",
        "chengxi": "城西区",
        "chengbei": "城北区",
        "huangzhong": "湟中区",
        "datong": "大通县",
        "huangyuan": "湟源县",
    }
    assert policy.occupations(on) == {
        "food_delivery": "外卖送餐员",
        "courier": "快递员",
        "on_demand_delivery": "网约配送员",
        "ride_hailing": "网约车驾驶员",
        "freight_driver": "网约货车司机",
        "designated_driver": "代驾司机",
        "internet_marketer": "互联网营销师",
    }
    assert policy.departments(on)["hrss"] == "市人力资源社会保障局"
    assert set(policy.value("routing.sector_regulators", on)) == set(policy.occupations(on))


# -- successor versions and validation --------------------------------------------------------
def test_successor_version_in_extra_dir(tmp_path: Path):
    (tmp_path / "xining-2026-99.toml").write_text(
        successor_toml("xining-2026-99", "2026-12-22", "2031-12-31", 200000), encoding="utf-8"
    )
    policy = load_policy([tmp_path])
    assert [v.id for v in policy.series()["xining-measures"]] == ["xining-2022-41", "xining-2026-99"]
    assert policy.version_on(date(2027, 3, 1)).id == "xining-2026-99"
    assert policy.value("pay.minimum_wage.monthly_fen", date(2027, 3, 1)) == 200000
    # inherited through `extends`
    assert policy.value("pay.minimum_wage.hourly_fen", date(2027, 3, 1)) == 1800
    assert policy.departments_for_measure("M6", date(2027, 3, 1))[0] == "hrss"
    # facts dated under the old version keep its values
    assert policy.value("pay.minimum_wage.monthly_fen", date(2026, 12, 21)) == 188000


def test_successor_via_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "xining-2026-99.toml").write_text(
        successor_toml("xining-2026-99", "2026-12-22", "2031-12-31", 210000), encoding="utf-8"
    )
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert get_policy().value("pay.minimum_wage.monthly_fen", date(2027, 1, 1)) == 210000
    assert not get_policy().value_with_source("pay.max_pay_period_days", date(2027, 1, 1)).provisional
    assert get_policy() is get_policy()
    monkeypatch.delenv(ENV_VAR)
    # without the successor: Qinghai's standard still applies; the measures' figures provisionally
    assert get_policy().value("pay.minimum_wage.monthly_fen", date(2027, 1, 1)) == 188000
    assert get_policy().value_with_source("pay.max_pay_period_days", date(2027, 1, 1)).provisional


def test_overlapping_versions_rejected(tmp_path: Path):
    (tmp_path / "xining-2026-99.toml").write_text(
        successor_toml("xining-2026-99", "2026-06-01", "2031-12-31", 200000), encoding="utf-8"
    )
    with pytest.raises(PolicyError, match="overlap"):
        load_policy([tmp_path])


def test_standalone_successor_without_extends(tmp_path: Path):
    (tmp_path / "next.toml").write_text(
        successor_toml("next", "2027-01-01", "2027-12-31", 1, extends=False, series="xining-measures")
    )
    policy = load_policy([tmp_path])
    assert policy.value("pay.minimum_wage.monthly_fen", date(2027, 6, 1)) == 1
    # the successor's own figures only: a measures-only figure it drops is no longer defined...
    with pytest.raises(PolicyNotInForce):
        policy.value("pay.max_pay_period_days", date(2027, 6, 1))
    # ...while the sources in force still answer
    assert policy.value("pay.minimum_wage.hourly_fen", date(2027, 6, 1)) == 1800
    # between the versions the old one runs provisionally
    gap = policy.value_with_source("pay.max_pay_period_days", date(2026, 12, 25))
    assert (gap.version, gap.provisional) == ("xining-2022-41", True)
    # after the successor lapses it continues provisionally too (it inherits how its series lapses),
    # but a source in force wins over a provisional value
    assert policy.measures_status(date(2028, 1, 1)).version.id == "next"
    assert policy.measures_status(date(2028, 1, 1)).provisional
    assert policy.value("pay.minimum_wage.monthly_fen", date(2028, 1, 1)) == 188000  # Qinghai's in force


def test_a_successor_may_choose_not_to_continue_provisionally(tmp_path: Path):
    text = successor_toml("next", "2027-01-01", "2027-12-31", 1, extends=False, series="xining-measures")
    text = text.replace('series = "xining-measures"', 'series = "xining-measures"\ncontinues_provisionally = false')
    (tmp_path / "next.toml").write_text(text, encoding="utf-8")
    policy = load_policy([tmp_path])
    assert policy.value_with_source("pay.minimum_wage.monthly_fen", date(2027, 6, 1)).version == "next"
    with pytest.raises(PolicyNotInForce) as exc:
        policy.measures_status(date(2028, 1, 1))
    assert not exc.value.predates  # the operators' gap: 503 for what only the measures cover


def test_two_series_of_municipal_measures_rejected(tmp_path: Path):
    text = successor_toml("other", "2027-01-01", "2027-12-31", 1, extends=False, series="other-measures")
    text = text.replace('series = "other-measures"', 'series = "other-measures"\nkind = "municipal_measures"')
    (tmp_path / "other.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="municipal measures"):
        load_policy([tmp_path])


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace('measure = "M6"', 'measure = "M21"'), "unknown measure"),
        (lambda s: s.replace("valid_until = 2031-12-31", "valid_until = 2026-01-01"), "valid_until"),
        (
            lambda s: s.replace("value = 200000 }]", "value = 200000 }, { effective_from = 2027-01-01, value = 1 }]"),
            "ascending",
        ),
        (lambda s: s.replace("value = 200000", "value = 2000.5"), "float"),
        (lambda s: s.replace('unit = "fen"\n', ""), "unit"),
        (lambda s: s.replace('id = "xining-2026-99"', 'id = "other"'), "file name"),
        (lambda s: s.replace('extends = "xining-2022-41"', 'extends = "nope"'), "extends"),
    ],
)
def test_invalid_files_rejected(tmp_path: Path, mutation, message):
    text = successor_toml("xining-2026-99", "2027-02-01", "2031-12-31", 200000)
    text = text.replace("effective_from = 2027-02-01", "effective_from = 2027-06-01")
    (tmp_path / "xining-2026-99.toml").write_text(mutation(text), encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy([tmp_path])


def test_parameter_not_yet_effective(tmp_path: Path):
    text = (
        successor_toml("xining-2026-99", "2027-01-01", "2031-12-31", 200000, extends=False, series="xining-measures")
        .replace("effective_from = 2027-01-01", "effective_from = 2027-06-01")
        .replace('name = "pay.minimum_wage.monthly_fen"', 'name = "pay.max_pay_period_days"')
    )
    (tmp_path / "xining-2026-99.toml").write_text(text, encoding="utf-8")
    policy = load_policy([tmp_path])
    with pytest.raises(ParameterNotInForce):
        policy.value("pay.max_pay_period_days", date(2027, 3, 1))


def test_unknown_department_in_routing_rejected(tmp_path: Path):
    text = successor_toml("xining-2026-99", "2027-01-01", "2031-12-31", 200000) + textwrap.dedent(
        """
        [[parameter]]
        name = "routing.departments.M6"
        measure = "M6"
        unit = "department codes"
        source = "test"
        values = [{ effective_from = 2027-01-01, value = ["hrss", "nasa"] }]
        """
    )
    (tmp_path / "xining-2026-99.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="nasa"):
        load_policy([tmp_path])
