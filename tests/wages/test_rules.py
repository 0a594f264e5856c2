"""The wages rules as pure functions, with the figures of issue 10 and Qinghai's standards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from newform_common.collective import AgreedQuota, Collective, PieceRate, binding
from newform_wages.engagements.rules import Engagement
from newform_wages.quotas import rules as quotas_rules
from newform_wages.quotas.rules import WorkerDay
from newform_wages.sessions import rules as sessions_rules
from newform_wages.statements import rules as statements_rules
from newform_wages.statements.rules import Deduction, PremiumDay, Statement

FULL_TIME = Engagement(
    "c1", "w_1", "p1", "p1", "labor_contract", False, "food_delivery", "chengdong", date(2022, 5, 1), None, "month"
)
PART_TIME = Engagement(
    "c2", "w_1", "p1", "p1", "labor_contract", True, "food_delivery", "chengdong", date(2022, 5, 1), None, "week"
)
AGREEMENT = Engagement(
    "c3", "w_1", "p1", "p1", "work_agreement", False, "food_delivery", "chengdong", date(2022, 5, 1), None, "week"
)


def statement(start: date, end: date, **kw) -> Statement:
    kw.setdefault("gross_fen", kw.get("base_fen", 0))
    return Statement(period_start=start, period_end=end, due_date=kw.pop("due_date", end + timedelta(days=7)), **kw)


def rules_of(found) -> set[str]:
    return {f.rule for f in found if f is not None}


# -- M6 pay period --------------------------------------------------------------------------------------
def test_a_calendar_month_is_a_lawful_pay_period_but_a_month_and_a_day_is_not():
    assert statements_rules.check_pay_period(statement(date(2024, 1, 1), date(2024, 1, 31)), FULL_TIME) is None
    assert statements_rules.check_pay_period(statement(date(2024, 2, 15), date(2024, 3, 14)), FULL_TIME) is None
    found = statements_rules.check_pay_period(statement(date(2024, 1, 15), date(2024, 2, 15)), FULL_TIME)
    assert found.rule == "M6.max_pay_period" and found.evidence["days"] == 32


def test_part_time_is_paid_at_least_every_15_days():
    assert statements_rules.check_pay_period(statement(date(2024, 3, 1), date(2024, 3, 15)), PART_TIME) is None
    found = statements_rules.check_pay_period(statement(date(2024, 3, 1), date(2024, 3, 16)), PART_TIME)
    assert found is not None and found.evidence["days"] == 16


# -- M6 minimum wage ---------------------------------------------------------------------------------------
def test_monthly_minimum_for_a_full_time_labour_contract_is_1700_then_1880_yuan():
    jan = statement(date(2023, 1, 1), date(2023, 1, 31), base_fen=169_999, normal_minutes=174 * 60)
    assert statements_rules.check_minimum_wage(jan, FULL_TIME).evidence["required_fen"] == 170_000
    assert (
        statements_rules.check_minimum_wage(statement(date(2023, 1, 1), date(2023, 1, 31), base_fen=170_000), FULL_TIME)
        is None
    )
    feb = statement(date(2023, 2, 1), date(2023, 2, 28), base_fen=170_000)
    assert statements_rules.check_minimum_wage(feb, FULL_TIME).evidence["required_fen"] == 188_000


def test_a_pay_month_across_2023_02_01_is_weighted_by_its_own_days_not_by_calendar_months():
    # one pay month of 31 days (01-16..02-15): 16 days at 1,700 and 15 at 1,880, each /31 of the month —
    # not /31 and /28 of the calendar months (最低工资规定 arts. 3, 12: the standard is for a month of work)
    required = Fraction(16 * 170_000 + 15 * 188_000, 31)  # 1,787.10 yuan
    assert statements_rules.minimum_pay_required("monthly", date(2023, 1, 16), date(2023, 2, 15), 0) == required
    found = statements_rules.check_minimum_wage(
        statement(date(2023, 1, 16), date(2023, 2, 15), base_fen=178_709), FULL_TIME
    )
    assert found.rule == "M6.minimum_wage" and found.evidence["required_fen"] == 178_710
    assert (
        statements_rules.check_minimum_wage(
            statement(date(2023, 1, 16), date(2023, 2, 15), base_fen=178_710), FULL_TIME
        )
        is None
    )
    # a short February pay month owes the whole standard, a long one no more than it
    assert (
        statements_rules.check_minimum_wage(
            statement(date(2025, 2, 16), date(2025, 3, 15), base_fen=188_000), FULL_TIME
        )
        is None
    )
    assert (
        statements_rules.check_minimum_wage(
            statement(date(2025, 2, 1), date(2025, 2, 28), base_fen=187_999), FULL_TIME
        ).evidence["shortfall_fen"]
        == 1
    )


def test_a_statement_shorter_than_a_pay_month_is_not_held_to_a_slice_of_the_monthly_standard():
    day = statement(date(2025, 6, 3), date(2025, 6, 3), base_fen=6_500, normal_minutes=8 * 60)
    assert statements_rules.check_minimum_wage(day, FULL_TIME) is None  # judged on the month's sum instead
    found = statements_rules.check_minimum_wage_month(
        130_000, date(2025, 6, 1), date(2025, 6, 30), date(2025, 1, 1), None, 20
    )
    assert found.evidence["shortfall_fen"] == 58_000
    # a month the engagement covers in part owes its share of the month's days
    assert (
        statements_rules.check_minimum_wage_month(
            94_000, date(2025, 6, 1), date(2025, 6, 30), date(2025, 6, 16), None, 10
        )
        is None
    )


def test_hourly_minimum_for_part_time_and_work_agreements_is_15_20_then_18_yuan():
    # 4 days of 4 h: two days at 15.20 and two at 18.00 -> 121.60 + 144.00 = 265.60 yuan
    period = (date(2023, 1, 30), date(2023, 2, 2))
    assert statements_rules.minimum_pay_required("hourly", *period, 16 * 60) == 26_560
    for engagement in (PART_TIME, AGREEMENT):
        assert (
            statements_rules.check_minimum_wage(statement(*period, base_fen=26_560, normal_minutes=16 * 60), engagement)
            is None
        )
        found = statements_rules.check_minimum_wage(
            statement(*period, base_fen=26_559, normal_minutes=16 * 60), engagement
        )
        assert found.evidence["basis"] == "hourly" and found.evidence["shortfall_fen"] == 1


def test_premiums_and_allowances_do_not_count_towards_the_minimum_wage():
    s = statement(
        date(2024, 3, 4),
        date(2024, 3, 10),
        base_fen=10 * 1700,
        allowances_fen=50_000,
        overtime_fen=50_000,
        gross_fen=117_000,
        normal_minutes=10 * 60,
        overtime_minutes=60,
    )
    assert statements_rules.check_minimum_wage(s, AGREEMENT).evidence["required_fen"] == 18_000


# -- M6 premiums with the calendar ---------------------------------------------------------------------
def test_a_statutory_holiday_earns_300_percent():
    # 2024-10-01 National Day; normal rate 20 yuan/h (3,200 yuan for 160 h)
    base = dict(base_fen=320_000, normal_minutes=160 * 60, premium_days=(PremiumDay(date(2024, 10, 1), 8 * 60),))
    short = statement(date(2024, 10, 1), date(2024, 10, 31), overtime_fen=8 * 2000 * 2, **base)  # paid as 200 %
    found = statements_rules.check_premiums(short, FULL_TIME)
    assert found.rule == "M6.overtime_premium" and found.evidence["required_fen"] == 8 * 2000 * 3
    assert found.evidence["minutes_by_kind"] == {"statutory_holiday": 480}
    assert (
        statements_rules.check_premiums(
            statement(date(2024, 10, 1), date(2024, 10, 31), holiday_fen=48_000, **base), FULL_TIME
        )
        is None
    )


def test_a_make_up_working_day_is_a_working_day_but_an_ordinary_sunday_is_a_rest_day():
    # 2024-09-29 is a Sunday made a working day (调休上班): overtime at 150 % is lawful there
    makeup = statement(
        date(2024, 9, 1),
        date(2024, 9, 30),
        base_fen=320_000,
        normal_minutes=160 * 60,
        overtime_fen=4 * 2000 * 150 // 100,
        premium_days=(PremiumDay(date(2024, 9, 29), 4 * 60),),
    )
    assert statements_rules.check_premiums(makeup, FULL_TIME) is None
    sunday = statement(
        date(2024, 9, 1),
        date(2024, 9, 30),
        base_fen=320_000,
        normal_minutes=160 * 60,
        overtime_fen=4 * 2000 * 150 // 100,
        premium_days=(PremiumDay(date(2024, 9, 22), 4 * 60),),
    )
    found = statements_rules.check_premiums(sunday, FULL_TIME)
    assert found.evidence["required_by_kind_fen"] == {"rest_day": 16_000}


def test_a_day_of_a_year_without_a_schedule_leaves_the_premium_pending_but_a_statutory_day_does_not():
    base = dict(base_fen=320_000, normal_minutes=160 * 60)
    weekday = statement(
        date(2031, 5, 1), date(2031, 5, 31), premium_days=(PremiumDay(date(2031, 5, 6), 8 * 60),), **base
    )
    assert statements_rules.pending_premium_days(weekday) == [date(2031, 5, 6)]
    assert statements_rules.check_premiums(weekday, FULL_TIME) is None  # pending, not a guess
    labour_day = statement(
        date(2031, 5, 1), date(2031, 5, 31), premium_days=(PremiumDay(date(2031, 5, 1), 8 * 60),), **base
    )
    assert statements_rules.pending_premium_days(labour_day) == []
    assert statements_rules.check_premiums(labour_day, FULL_TIME).evidence["minutes_by_kind"] == {
        "statutory_holiday": 480
    }


def test_premiums_apply_only_under_a_labour_relationship():
    s = statement(
        date(2024, 9, 1),
        date(2024, 9, 30),
        base_fen=320_000,
        normal_minutes=160 * 60,
        premium_days=(PremiumDay(date(2024, 10 - 1, 22), 4 * 60),),
    )
    assert statements_rules.check_premiums(s, AGREEMENT) is None
    assert statements_rules.check_premiums(s, FULL_TIME) is not None


# -- M6 deductions, money, arrears ---------------------------------------------------------------------
def test_fines_and_deposits_are_unlawful_deductions_and_unknown_reasons_need_a_lawful_one():
    s = statement(
        date(2024, 3, 1),
        date(2024, 3, 31),
        base_fen=300_000,
        deductions=(
            Deduction("income_tax", 1_000),
            Deduction("fine", 5_000),
            Deduction("deposit", 20_000),
            Deduction("uniform", 3_000),
        ),
    )
    found = {f.rule: f for f in statements_rules.check_deductions(s)}
    assert set(found) == {"M6.unlawful_deduction", "M6.deduction_without_lawful_reason"}
    assert {d["reason"] for d in found["M6.unlawful_deduction"].evidence["deductions"]} == {"fine", "deposit"}
    assert (
        statements_rules.check_deductions(
            statement(
                date(2024, 3, 1),
                date(2024, 3, 31),
                deductions=(Deduction("income_tax", 1_000), Deduction("social_insurance", 30_000)),
            )
        )
        == []
    )


def test_points_coupons_and_goods_are_not_wages():
    assert (
        statements_rules.check_paid_in_money(statement(date(2024, 3, 1), date(2024, 3, 31), payment_method="wallet"))
        is None
    )
    assert (
        statements_rules.check_paid_in_money(
            statement(date(2024, 3, 1), date(2024, 3, 31), payment_method="points")
        ).rule
        == "M6.paid_in_money"
    )


def test_partial_payment_after_the_due_date_is_arrears_of_the_difference():
    s = statement(
        date(2024, 3, 1),
        date(2024, 3, 31),
        due_date=date(2024, 4, 10),
        base_fen=300_000,
        deductions=(Deduction("income_tax", 1_000),),
        paid_fen=200_000,
        paid_on=date(2024, 4, 10),
    )
    assert statements_rules.check_arrears(s, date(2024, 4, 10)) is None  # not due yet at the end of the due date
    found = statements_rules.check_arrears(s, date(2024, 4, 11))
    assert found.evidence["arrears_fen"] == 99_000 and found.evidence["partial"] is True
    assert statements_rules.enforcement_of(found).rule == "M20.wage_arrears_enforcement"


def test_paid_in_full_after_the_due_date_is_paid_late():
    s = statement(
        date(2024, 3, 1),
        date(2024, 3, 31),
        due_date=date(2024, 4, 10),
        base_fen=300_000,
        paid_fen=300_000,
        paid_on=date(2024, 4, 13),
    )
    assert statements_rules.check_arrears(s, date(2024, 5, 1)) is None
    assert statements_rules.check_paid_late(s).evidence["days_late"] == 3


def test_bad_input_is_rejected_field_by_field():
    errors = statements_rules.statement_input_errors(statement(date(2024, 3, 10), date(2024, 3, 1)))
    assert [e.field for e in errors] == ["period_end"]
    errors = statements_rules.statement_input_errors(
        statement(
            date(2024, 3, 1),
            date(2024, 3, 1),
            base_fen=-1,
            gross_fen=0,
            normal_minutes=20 * 60,
            overtime_minutes=5 * 60,
        )
    )
    assert {e.field for e in errors} == {"base_fen", "normal_hours"}


# -- M7 working time ---------------------------------------------------------------------------------------
def at(h: int, m: int = 0, day: int = 4) -> datetime:
    return datetime(2024, 3, day, h, m, tzinfo=UTC) - timedelta(hours=8)  # Asia/Shanghai wall time


def test_four_hours_of_work_need_a_20_minute_break():
    assert sessions_rules.check_rest_break([(at(8), at(10)), (at(10, 20), at(12, 20))], date(2024, 3, 4)) is None
    found = sessions_rules.check_rest_break([(at(8), at(10)), (at(10, 10), at(12, 20))], date(2024, 3, 4))
    assert found.rule == "M7.rest_break" and found.evidence["continuous_minutes"] == 260


def test_a_worker_on_two_platforms_is_judged_on_the_sum_and_each_platform_sees_its_share():
    assert sessions_rules.check_daily_hours(7 * 60 + 4 * 60, 7 * 60, date(2024, 3, 4)) is None  # 11 h: the cap itself
    found = sessions_rules.check_daily_hours(7 * 60 + 5 * 60, 5 * 60, date(2024, 3, 4))
    assert found.evidence == {"date": "2024-03-04", "total_minutes": 720, "own_minutes": 300, "limit_minutes": 660}


def test_monthly_overtime_beyond_36_hours_counts_every_hour_on_a_rest_day():
    working = [d for d in (date(2024, 3, 1) + timedelta(n) for n in range(31)) if d.weekday() < 5][:18]
    days = {d: 10 * 60 for d in working}  # 18 working days with 2 h overtime = 36 h
    assert sessions_rules.check_monthly_overtime(days, 0, date(2024, 3, 1)) is None
    days[date(2024, 3, 2)] = 60  # one hour on a Saturday is overtime too
    found = sessions_rules.check_monthly_overtime(days, 0, date(2024, 3, 1))
    assert found.evidence["overtime_minutes"] == 37 * 60
    assert found.evidence["overtime_by_kind"] == {"working_day": 36 * 60, "rest_day": 60}


def test_part_time_beyond_4_hours_a_day_on_average_or_24_a_week():
    assert (
        sessions_rules.check_part_time_hours(
            {date(2024, 3, 4) + timedelta(d): 240 for d in range(6)}, 0, date(2024, 3, 4)
        )
        is None
    )
    assert sessions_rules.check_part_time_hours({date(2024, 3, 4): 300}, 0, date(2024, 3, 4)) is not None
    found = sessions_rules.check_part_time_hours(
        {date(2024, 3, 4) + timedelta(d): 250 for d in range(6)}, 0, date(2024, 3, 4)
    )
    assert found.evidence["total_minutes"] == 1500


def test_a_quota_fewer_than_90_percent_reach_within_8_hours_is_a_finding():
    fast = [WorkerDay(f"w{i}", 40, 8 * 60) for i in range(9)]
    assert (
        quotas_rules.check_quota(fast + [WorkerDay("slow", 20, 8 * 60)], 40, "rider", date(2024, 3, 4)).finding is None
    )
    result = quotas_rules.check_quota(
        fast[:8] + [WorkerDay("s1", 20, 8 * 60), WorkerDay("s2", 30, 10 * 60)], 40, "rider", date(2024, 3, 4)
    )
    assert (result.workers, result.reaching) == (10, 8) and result.finding.rule == "M7.quota_unreachable"


def test_sessions_overlapping_on_one_platform_are_found():
    assert sessions_rules.overlapping([(at(8), at(10), "a"), (at(10), at(11), "b")]) == []
    assert sessions_rules.overlapping([(at(8), at(10), "a"), (at(9), at(11), "b")]) == [("b", "a")]


def test_early_warning_when_pay_per_hour_nears_the_hourly_minimum():
    s = statement(date(2024, 3, 4), date(2024, 3, 10), base_fen=40 * 1900, normal_minutes=40 * 60)
    assert statements_rules.check_low_hourly_pay(s, AGREEMENT).severity == "low"
    assert (
        statements_rules.check_low_hourly_pay(
            statement(date(2024, 3, 4), date(2024, 3, 10), base_fen=40 * 2500, normal_minutes=40 * 60), AGREEMENT
        )
        is None
    )


def test_implausible_periods_and_due_dates_are_bad_input_not_work():
    endless = Statement(
        period_start=date(2024, 1, 1), period_end=date(2099, 12, 30), due_date=date(2099, 12, 31), gross_fen=0
    )
    assert [e.field for e in statements_rules.statement_input_errors(endless)] == ["period_end"]
    absurd = Statement(
        period_start=date(2024, 1, 1), period_end=date(9999, 12, 30), due_date=date(9999, 12, 31), gross_fen=0
    )
    assert [e.field for e in statements_rules.statement_input_errors(absurd)] == ["period_end", "due_date"]
    far = Statement(
        period_start=date(2024, 1, 1), period_end=date(2024, 1, 31), due_date=date(9999, 12, 31), gross_fen=0
    )
    assert [e.field for e in statements_rules.statement_input_errors(far)] == ["due_date"]


def test_a_platforms_late_share_rising_by_10_points_is_an_early_warning():
    assert (
        statements_rules.check_late_share_rising((1, 10), (2, 10), date(2024, 3, 1)) is not None
    )  # 10 % -> 20 %: +10 points
    assert statements_rules.check_late_share_rising((1, 10), (1, 5), date(2024, 3, 1)) is not None  # 10 % -> 20 %
    assert statements_rules.check_late_share_rising((1, 10), (19, 100), date(2024, 3, 1)) is None  # +9 points
    found = statements_rules.check_late_share_rising((0, 10), (3, 10), date(2024, 3, 1))
    assert found.rule == "M6.early_warning_late_share_rising" and found.severity == "low"
    assert (
        statements_rules.check_late_share_rising((0, 0), (3, 10), date(2024, 3, 1)) is None
    )  # no previous month to compare


def test_holiday_work_under_a_work_agreement_is_paid_above_the_normal_rate_in_any_year():
    # 20 yuan an hour; 8 h on Labour Day 2031 (a statutory day by law) paid at exactly the normal rate,
    # beside a weekday of a year without a schedule (which does not matter outside a labour contract)
    days = (PremiumDay(date(2031, 5, 1), 8 * 60), PremiumDay(date(2031, 5, 6), 2 * 60))
    at_normal = statement(
        date(2031, 5, 1),
        date(2031, 5, 31),
        base_fen=320_000,
        normal_minutes=160 * 60,
        holiday_fen=16_000,
        premium_days=days,
    )
    found = statements_rules.check_premiums(at_normal, AGREEMENT)
    assert found.evidence["required"] == "above_normal_rate" and found.evidence["normal_rate_pay_fen"] == 16_000
    above = statement(
        date(2031, 5, 1),
        date(2031, 5, 31),
        base_fen=320_000,
        normal_minutes=160 * 60,
        holiday_fen=16_001,
        premium_days=days,
    )
    assert statements_rules.check_premiums(above, AGREEMENT) is None


# -- collective standards (劳动合同法 art. 55; the measures items 6, 7) -------------------------------------
def collective(**kw):
    fields = dict(
        collective_contract_id="cc_1",
        platform_ids=frozenset({"p1"}),
        districts=frozenset(),
        occupations=frozenset(),
        effective_from=date(2024, 1, 1),
        effective_until=None,
        in_force_on=date(2024, 2, 1),
        piece_rates=(PieceRate("food_delivery", "meal", 500), PieceRate("food_delivery", "errand", 450)),
        quotas=(AgreedQuota("food_delivery", 40),),
        night_allowance_fen_per_hour=300,
    )
    return Collective(**{**fields, **kw})


def test_piece_pay_below_the_lowest_agreed_rate_is_a_finding_at_it_none():
    march = date(2024, 3, 1), date(2024, 3, 31)
    below = statements_rules.check_collective_piece_rate(
        statement(*march, piece_fen=44_999, piece_orders=100), "food_delivery", [collective()]
    )
    assert below.rule == "M6.collective_piece_rate_below" and below.evidence["agreed_min_rate_fen"] == 450
    at = statement(*march, piece_fen=45_000, piece_orders=100)
    assert statements_rules.check_collective_piece_rate(at, "food_delivery", [collective()]) is None
    assert statements_rules.check_collective_piece_rate(statement(*march), "food_delivery", [collective()]) is None
    other_trade = statement(*march, piece_fen=1, piece_orders=100)
    assert statements_rules.check_collective_piece_rate(other_trade, "courier", [collective()]) is None


def test_night_allowance_below_hours_times_the_agreed_rate_is_a_finding_at_it_none():
    march = date(2024, 3, 1), date(2024, 3, 31)
    below = statements_rules.check_collective_night_allowance(
        statement(*march, night_minutes=90, night_allowance_fen=449), [collective()]
    )
    assert below.rule == "M7.collective_night_allowance_below" and below.evidence["owed_fen"] == 450
    at = statement(*march, night_minutes=90, night_allowance_fen=450)
    assert statements_rules.check_collective_night_allowance(at, [collective()]) is None
    unagreed = collective(night_allowance_fen_per_hour=None)
    assert statements_rules.check_collective_night_allowance(statement(*march, night_minutes=90), [unagreed]) is None


def test_a_collective_contract_binds_from_its_entry_into_force_until_the_day_it_ends():
    c = collective(ended_on=date(2024, 5, 31))  # the last day it applied (unions' word)
    assert binding([c], "p1", "food_delivery", "chengxi", date(2024, 1, 31)) == []  # agreed, not yet in force
    assert binding([c], "p1", "food_delivery", "chengxi", date(2024, 5, 31)) == [c]
    assert binding([c], "p1", "food_delivery", "chengxi", date(2024, 6, 1)) == []
    assert binding([c], "p2", "food_delivery", "chengxi", date(2024, 3, 1)) == []
    district = collective(districts=frozenset({"datong"}))
    assert binding([district], "p1", "food_delivery", "chengxi", date(2024, 3, 1)) == []


def test_a_quota_above_the_agreed_one_on_a_day_both_are_in_force_is_a_finding():
    above = quotas_rules.check_collective_quota(41, "food_delivery", date(2024, 1, 1), None, collective())
    assert above.rule == "M7.collective_quota_above" and above.evidence["from"] == "2024-02-01"
    assert quotas_rules.check_collective_quota(40, "food_delivery", date(2024, 1, 1), None, collective()) is None
    assert quotas_rules.check_collective_quota(60, "rider", date(2024, 1, 1), None, collective()) is None
    # replaced by a lower quota before the collective contract came into force
    assert (
        quotas_rules.check_collective_quota(60, "food_delivery", date(2023, 1, 1), date(2024, 1, 31), collective())
        is None
    )
    spans = quotas_rules.quota_spans([("q1", 60, date(2023, 1, 1)), ("q2", 40, date(2024, 2, 1))])
    assert spans == [("q1", 60, date(2023, 1, 1), date(2024, 1, 31)), ("q2", 40, date(2024, 2, 1), None)]
