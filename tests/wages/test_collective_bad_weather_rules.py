"""M7: the bad-weather allowance a binding collective contract agrees per day, the pure judgement (wages
`collective/bad_weather.py`; 劳动合同法 art. 55, the measures item 7). The days counted are the Beijing business
days of the period on which a work session of the engagement overlaps a warning of a counted level; no sessions
is insufficient facts, never a finding."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from newform_common.collective import Collective
from newform_common.policy import BUSINESS_TZ
from newform_wages.collective import bad_weather
from newform_wages.collective.bad_weather import AllowanceStatement, Outcome, Worked
from newform_wages.safety.rules import Window

RULE = "M7.collective_bad_weather_allowance_below"
MON = datetime(2026, 11, 30, 0, 0, tzinfo=BUSINESS_TZ)
#: A red snow warning from Monday 08:00 to Wednesday 08:00 (Beijing time).
RED = Window(
    "fct_w", "XNQX-1", "chengxi", "red", "snow", MON + timedelta(hours=8), MON + timedelta(days=2, hours=8), None
)
CC = Collective(
    "cc_1",
    frozenset({"pf_1"}),
    frozenset(),
    frozenset(),
    date(2026, 1, 1),
    None,
    date(2026, 1, 1),
    bad_weather_allowance_fen_per_day=3000,
)
WEEK = (date(2026, 11, 30), date(2026, 12, 6))


def _statement(paid: int | None) -> AllowanceStatement:
    return AllowanceStatement("st_1", *WEEK, paid)


def _worked(day: int, start_h: float, hours: float) -> Worked:
    start = MON + timedelta(days=day, hours=start_h)
    return Worked(start, start + timedelta(hours=hours))


TWO_RED_DAYS = [_worked(0, 10, 4), _worked(1, 9, 5), _worked(4, 10, 4)]  # Monday, Tuesday in it; Friday not


def test_days_worked_in_a_red_warning_times_the_agreed_rate_above_the_allowance_is_a_finding_citing_art_55():
    judged = bad_weather.judge(_statement(3000), [CC], [RED], TWO_RED_DAYS)
    assert judged.outcome == Outcome.below
    spec = judged.finding
    assert spec is not None and spec.rule == RULE and spec.measure == "M7" and spec.severity == "medium"
    e = spec.evidence
    assert e["collective_contract_id"] == "cc_1" and e["legal_source"] == "劳动合同法 第五十五条"
    assert e["bad_weather_days"] == ["2026-11-30", "2026-12-01"] and e["owed_fen"] == 6000
    assert e["shortfall_fen"] == 3000 and e["warnings"][0]["warning_id"] == "fct_w"
    assert "item 7" in e["parameter_source"] and "red" in e["levels"]
    assert "红色暴雪" in spec.summary and "30.00 元/天" in spec.summary


def test_paid_at_the_standard_is_none():
    assert bad_weather.judge(_statement(6000), [CC], [RED], TWO_RED_DAYS).outcome == Outcome.paid


def test_not_bound_or_no_allowance_agreed_or_not_stated_is_not_judged():
    assert bad_weather.judge(_statement(0), [], [RED], TWO_RED_DAYS).outcome == Outcome.not_bound
    silent = dataclasses.replace(CC, bad_weather_allowance_fen_per_day=None)
    assert bad_weather.judge(_statement(0), [silent], [RED], TWO_RED_DAYS).outcome == Outcome.not_bound
    assert bad_weather.judge(_statement(None), [CC], [RED], TWO_RED_DAYS).outcome == Outcome.not_stated


def test_no_sessions_is_insufficient_facts_never_a_finding():
    for worked in (None, []):
        judged = bad_weather.judge(_statement(0), [CC], [RED], worked)
        assert judged.outcome == Outcome.insufficient_facts and judged.finding is None


def test_a_session_across_midnight_counts_each_business_day_it_meets_inside_the_window():
    night = [_worked(0, 22, 4)]  # Monday 22:00 to Tuesday 02:00, Beijing time
    e = bad_weather.judge(_statement(0), [CC], [RED], night).finding.evidence
    assert e["bad_weather_days"] == ["2026-11-30", "2026-12-01"]


def test_the_levels_are_policy_data_yellow_and_above_blue_not():
    counted, source = bad_weather.levels(date(2026, 11, 30))
    assert set(counted) == {"yellow", "orange", "red"} and "item 7" in source
    for level in ("blue", "yellow", "orange", "red"):
        judged = bad_weather.judge(_statement(0), [CC], [dataclasses.replace(RED, level=level)], TWO_RED_DAYS)
        assert (judged.finding is not None) == (level in counted)
    assert bad_weather.levels(date(2021, 1, 1))[0] == ()


def test_a_lifted_or_amended_window_is_honoured():
    lifted = dataclasses.replace(RED, cancelled_at=MON + timedelta(hours=20))  # lifted Monday evening
    e = bad_weather.judge(_statement(0), [CC], [lifted], TWO_RED_DAYS).finding.evidence
    assert e["bad_weather_days"] == ["2026-11-30"]
    before_start = dataclasses.replace(RED, cancelled_at=RED.starts_at - timedelta(hours=1))
    assert bad_weather.judge(_statement(0), [CC], [before_start], TWO_RED_DAYS).outcome == Outcome.no_bad_weather
    open_ended = dataclasses.replace(RED, ends_at=None)  # amended: in force until lifted
    e = bad_weather.judge(_statement(0), [CC], [open_ended], TWO_RED_DAYS).finding.evidence
    assert e["bad_weather_days"] == ["2026-11-30", "2026-12-01", "2026-12-04"]


def test_work_outside_the_window_or_the_period_is_not_counted():
    outside = [_worked(0, 2, 4), _worked(2, 9, 3)]  # Monday before 08:00, Wednesday after 08:00
    assert bad_weather.judge(_statement(0), [CC], [RED], outside).outcome == Outcome.no_bad_weather
    late = AllowanceStatement("st_2", date(2026, 12, 1), date(2026, 12, 6), 3000)  # Tuesday on: one day owed
    assert bad_weather.judge(late, [CC], [RED], TWO_RED_DAYS).outcome == Outcome.paid


def test_the_highest_agreed_standard_of_several_binding_contracts_decides_and_is_named():
    sector = dataclasses.replace(CC, collective_contract_id="cc_sector", bad_weather_allowance_fen_per_day=4000)
    e = bad_weather.judge(_statement(6000), [CC, sector], [RED], TWO_RED_DAYS).finding.evidence
    assert e["collective_contract_id"] == "cc_sector" and e["owed_fen"] == 8000
