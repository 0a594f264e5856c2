"""The legal clocks of a dispute on real dates (pure: no database)."""

from __future__ import annotations

from datetime import date

from newform_disputes import clocks
from newform_disputes.arbitration import rules


def test_a_complaint_filed_on_1_july_must_be_answered_by_7_july():
    # 5 days end on Sunday 6 July: the period ends on the next working day (民法典 art. 203).
    assert clocks.reply_due(date(2025, 7, 1)) == date(2025, 7, 7)
    assert clocks.reply_due(date(2025, 7, 2)) == date(2025, 7, 7)


def test_mediation_accepted_on_1_july_ends_on_16_july_and_an_agreed_extension_of_15_days_on_31_july():
    assert clocks.mediation_limit(date(2025, 7, 1)) == date(2025, 7, 16)
    assert clocks.mediation_limit(date(2025, 7, 1), extension_days=15) == date(2025, 7, 31)


def test_mediation_is_extended_once_by_at_most_15_days_with_both_parties_consent():
    accepted = date(2025, 7, 1)
    ok = dict(already_extended=False, worker_consents=True, enterprise_consents=True)
    assert clocks.mediation_extension_violation(accepted, 15, **ok) is None
    assert clocks.mediation_extension_violation(accepted, 16, **ok).rule == "M18.mediation_extension_limit"
    assert clocks.mediation_extension_violation(accepted, 0, **ok).rule == "M18.mediation_extension_limit"
    assert (
        clocks.mediation_extension_violation(accepted, 5, **{**ok, "enterprise_consents": False}).rule
        == "M18.mediation_extension_consent"
    )
    assert (
        clocks.mediation_extension_violation(accepted, 5, **{**ok, "already_extended": True}).rule
        == "M18.mediation_extension_once"
    )


def test_arbitration_received_on_1_august_is_accepted_or_refused_by_6_august():
    assert clocks.arbitration_acceptance_due(date(2025, 8, 1)) == date(2025, 8, 6)


def test_arbitration_accepted_on_1_august_awards_by_15_september_extended_to_30_september():
    assert clocks.award_due(date(2025, 8, 1)) == date(2025, 9, 15)
    assert clocks.award_due(date(2025, 8, 1), extension_days=15) == date(2025, 9, 30)


def test_a_suspension_of_10_days_moves_the_award_by_10_days():
    assert clocks.award_due(date(2025, 8, 1), suspended_days=10) == date(2025, 9, 25)
    assert clocks.award_due(date(2025, 8, 1), extension_days=15, suspended_days=10) == date(2025, 10, 10)


def test_the_award_limit_is_extended_once_by_at_most_15_days():
    assert clocks.award_extension_violation(date(2025, 8, 1), 15, already_extended=False) is None
    assert (
        clocks.award_extension_violation(date(2025, 8, 1), 20, already_extended=False).rule
        == "M18.award_extension_limit"
    )
    assert (
        clocks.award_extension_violation(date(2025, 8, 1), 5, already_extended=True).rule == "M18.award_extension_once"
    )


def test_the_limitation_is_one_year_from_knowing_of_the_breach():
    in_time = clocks.limitation(date(2025, 6, 30), date(2024, 6, 30))
    assert in_time.ends_on == date(2025, 6, 30) and not in_time.expired
    late = clocks.limitation(date(2025, 7, 1), date(2024, 6, 30))
    assert late.expired
    leap = clocks.limitation(date(2025, 3, 1), date(2024, 2, 29))
    assert leap.ends_on == date(2025, 2, 28) and leap.expired


def test_unpaid_pay_during_employment_has_no_limit_until_the_employment_ends():
    ongoing = clocks.limitation(date(2025, 7, 1), date(2020, 1, 1), unpaid_pay_during_employment=True)
    assert ongoing.ends_on is None and not ongoing.expired
    ended = clocks.limitation(
        date(2025, 7, 1), date(2020, 1, 1), unpaid_pay_during_employment=True, employment_ended_on=date(2024, 3, 1)
    )
    # 1 March 2025 is a Saturday: the year ends on Monday 3 March (民法典 art. 203).
    assert ended.ends_on == date(2025, 3, 3) and ended.expired


def test_an_award_is_final_for_the_employer_item_by_item():
    # Qinghai's monthly minimum wage from 2023-02-01 is 1,880 yuan: 12 × 188,000 fen = 2,256,000 fen.
    on = date(2025, 8, 1)
    limit = clocks.award_final_limit_fen(on)
    assert limit == 2_256_000
    assert rules.item_finality("labour_remuneration", 2_256_000, limit, on).final
    assert not rules.item_finality("labour_remuneration", 2_256_001, limit, on).final
    assert rules.item_finality("working_hours", 50_000_000, limit, on).final  # art. 47(2): any amount
    assert not rules.item_finality("labour_relationship", None, limit, on).final
    assert rules.award_final([True, True]) and not rules.award_final([True, False]) and not rules.award_final([])
    # Before 2023-02-01 the standard was 1,700 yuan.
    assert clocks.award_final_limit_fen(date(2022, 12, 1)) == 2_040_000


def test_before_the_one_stop_rules_mediation_ends_15_days_after_receipt_without_an_extension():
    assert clocks.mediation_limit(date(2023, 6, 1)) == date(2023, 6, 16)
    assert (
        clocks.mediation_extension_violation(
            date(2023, 6, 1), 5, already_extended=False, worker_consents=True, enterprise_consents=True
        ).rule
        == "M18.mediation_extension_limit"
    )


def test_a_mediation_application_is_accepted_within_3_working_days():
    # Received Thursday 2025-07-03: Friday, Monday, Tuesday.
    assert clocks.mediation_acceptance_due(date(2025, 7, 3)) == date(2025, 7, 8)
    # Received on 2025-09-30, before the National Day holiday (1–8 October 2025): 9, 10 and 11 October
    # (Saturday 11 October is an adjusted working day).
    assert clocks.mediation_acceptance_due(date(2025, 9, 30)) == date(2025, 10, 11)


def test_the_15_days_of_article_14_run_from_receipt():
    # Received 1 July 2025: 15 days end on 16 July; arbitration is open from 17 July.
    assert clocks.arbitration_open_from(date(2025, 7, 1)) == date(2025, 7, 17)
    assert not rules.may_apply_for_arbitration(
        "received", arbitration_open_from=date(2025, 7, 17), fulfil_by=None, on=date(2025, 7, 16)
    )
    assert rules.may_apply_for_arbitration(
        "mediating", arbitration_open_from=date(2025, 7, 17), fulfil_by=None, on=date(2025, 7, 17)
    )
    assert rules.may_apply_for_arbitration("withdrawn", arbitration_open_from=None, fulfil_by=None, on=date(2025, 7, 2))


def test_the_limitation_is_interrupted_and_runs_afresh():
    interrupted = clocks.limitation(date(2025, 7, 15), date(2024, 7, 1), interruptions=[date(2025, 6, 20)])
    assert interrupted.runs_from == date(2025, 6, 20) and not interrupted.expired
    # One year from 20 June 2025 ends on Saturday 20 June 2026, in the Dragon Boat break: the next working day.
    assert interrupted.ends_on == date(2026, 6, 22)
    # An interruption after the year ran out revives nothing.
    late = clocks.limitation(date(2025, 9, 1), date(2024, 7, 1), interruptions=[date(2025, 8, 1)])
    assert late.expired and late.runs_from == date(2024, 7, 1)
