"""M8 during a red warning, the pure judgement (wages `safety/rules.py`): minutes in the window against the
usual minutes of the same hours over the previous weeks, the share a policy parameter (宁政办〔2022〕41号 item 8)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from newform_common.policy import BUSINESS_TZ, get_policy
from newform_wages.safety import rules

STARTS = datetime(2026, 11, 30, 8, 0, tzinfo=BUSINESS_TZ)
RED = rules.Window("fct_w", "XNQX-1", "chengxi", "red", "snow", STARTS, STARTS + timedelta(hours=4), None)


def test_above_the_share_of_the_usual_is_a_finding_and_within_it_none():
    share = get_policy().value("safety.red_warning.max_activity_share_percent", STARTS)
    usual = [120, 120, 100, 140]  # average 120
    limit = 120 * share // 100
    assert rules.work_during_red_warning(RED, "p1", limit, usual) is None
    found = rules.work_during_red_warning(RED, "p1", limit + 1, usual)
    assert found is not None and found.rule == "M8.work_during_red_warning" and found.measure == "M8"
    assert found.evidence["usual_minutes"] == 120 and found.evidence["max_share_percent"] == share
    assert found.fact_on == STARTS.date()


def test_no_baseline_no_judgement():
    assert rules.work_during_red_warning(RED, "p1", 600, [0, 0, 0, 0]) is None


def test_the_usual_is_the_same_hours_of_the_same_weekday_in_the_previous_weeks():
    weeks = get_policy().value("safety.red_warning.usual_weeks", STARTS)
    windows = rules.usual_windows(RED)
    assert len(windows) == weeks
    assert windows[0] == (STARTS - timedelta(days=7), STARTS + timedelta(hours=4) - timedelta(days=7))
    assert all(start.weekday() == STARTS.weekday() and start.time() == STARTS.time() for start, _ in windows)


def test_only_a_red_warning_with_a_closed_window_is_judged_after_its_reporting_lag():
    lag = get_policy().value("safety.red_warning.judge_after_minutes", STARTS)
    assert rules.judged_at(RED) == RED.ends_at + timedelta(minutes=lag)
    lifted = dataclasses.replace(RED, cancelled_at=STARTS + timedelta(hours=1))
    assert rules.judged_at(lifted) == lifted.cancelled_at + timedelta(minutes=lag)
    assert rules.judged_at(dataclasses.replace(RED, level="orange")) is None
    assert rules.judged_at(dataclasses.replace(RED, ends_at=None)) is None
    assert rules.judged_at(dataclasses.replace(RED, cancelled_at=STARTS - timedelta(hours=1))) is None
