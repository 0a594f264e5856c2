"""M8: a lateness penalty deducted for a time inside an orange or red warning of the engagement's district, the
pure judgement (wages `safety/penalties.py`; 宁政办〔2022〕41号 item 8, 国市监网监发〔2021〕38号). A penalty with a
time is judged at that instant; one without only when the whole statement period lies inside the warnings, a
period partly inside is insufficient facts, never a finding."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from newform_common.policy import BUSINESS_TZ, get_policy
from newform_wages.safety import penalties
from newform_wages.safety.rules import Window

STARTS = datetime(2026, 11, 30, 8, 0, tzinfo=BUSINESS_TZ)
RED = Window("fct_w", "XNQX-1", "chengxi", "red", "snow", STARTS, STARTS + timedelta(hours=4), None)
DAY = penalties.Period("st_1", "l1", "ct_1", date(2026, 11, 30), date(2026, 11, 30))


def _late(at: datetime | None, reason: str = "late_delivery_penalty") -> penalties.Penalty:
    return penalties.Penalty(0, reason, 300, at)


def test_a_late_penalty_inside_a_red_window_is_a_finding_citing_item_8_and_the_guidance():
    judged = penalties.judge_penalty(_late(STARTS + timedelta(hours=1)), DAY, [RED])
    assert judged.outcome == penalties.Outcome.during_warning
    spec = judged.finding
    assert spec is not None and spec.rule == "M8.penalty_during_warning" and spec.measure == "M8"
    assert spec.evidence["basis"] == "incurred_at" and spec.evidence["warnings"][0]["warning_id"] == "fct_w"
    assert (
        "国市监网监发〔2021〕38号" in spec.evidence["parameter_source"]
        and "item 8" in spec.evidence["parameter_source"]
    )
    assert spec.evidence["levels"] == get_policy().value("safety.penalty_during_warning.levels", STARTS)
    assert "红色暴雪预警期间" in spec.summary


def test_outside_the_window_at_its_end_or_before_its_start_is_none():
    for at in (STARTS - timedelta(minutes=1), STARTS + timedelta(hours=4), STARTS + timedelta(hours=5)):
        assert penalties.judge_penalty(_late(at), DAY, [RED]).finding is None


def test_the_levels_and_reasons_come_from_the_policy():
    levels = get_policy().value("safety.penalty_during_warning.levels", STARTS)
    inside = STARTS + timedelta(hours=1)
    for level in ("blue", "yellow", "orange", "red"):
        window = dataclasses.replace(RED, level=level)
        found = penalties.judge_penalty(_late(inside), DAY, [window]).finding
        assert (found is not None) == (level in levels)
    assert penalties.judge_penalty(_late(inside, "punctuality_penalty"), DAY, [RED]).finding is not None
    other = penalties.judge_penalty(_late(inside, "income_tax"), DAY, [RED])
    assert other.outcome == penalties.Outcome.not_a_lateness_penalty and other.finding is None


def test_a_lifted_or_amended_window_is_honoured():
    inside = STARTS + timedelta(hours=2)
    lifted = dataclasses.replace(RED, cancelled_at=STARTS + timedelta(hours=1))
    assert penalties.judge_penalty(_late(inside), DAY, [lifted]).finding is None
    lifted_before_start = dataclasses.replace(RED, cancelled_at=STARTS - timedelta(hours=1))
    assert penalties.judge_penalty(_late(STARTS), DAY, [lifted_before_start]).finding is None
    still_open = dataclasses.replace(RED, ends_at=None)
    assert penalties.judge_penalty(_late(STARTS + timedelta(days=2)), DAY, [still_open]).finding is not None


def test_without_a_time_only_a_period_wholly_inside_the_warnings_is_a_finding():
    day_start = datetime(2026, 11, 30, 0, 0, tzinfo=BUSINESS_TZ)
    whole_day = dataclasses.replace(
        RED, starts_at=day_start - timedelta(hours=6), ends_at=day_start + timedelta(days=1)
    )
    judged = penalties.judge_penalty(_late(None), DAY, [whole_day])
    assert judged.outcome == penalties.Outcome.during_warning and judged.finding is not None
    assert judged.finding.evidence["basis"] == "whole_period" and judged.finding.evidence["incurred_at"] is None
    # the morning red only: the penalty may have been incurred in the afternoon
    partly = penalties.judge_penalty(_late(None), DAY, [RED])
    assert partly.outcome == penalties.Outcome.insufficient_facts and partly.finding is None
    assert penalties.judge_penalty(_late(None), DAY, []).outcome == penalties.Outcome.outside


def test_consecutive_windows_cover_a_period_together_and_a_gap_breaks_it():
    day_start = datetime(2026, 11, 30, 0, 0, tzinfo=BUSINESS_TZ)
    first = dataclasses.replace(RED, warning_id="a", starts_at=day_start, ends_at=day_start + timedelta(hours=12))
    second = dataclasses.replace(
        RED, warning_id="b", level="orange", starts_at=day_start + timedelta(hours=12), ends_at=None
    )
    found = penalties.judge_penalty(_late(None), DAY, [second, first]).finding
    assert found is not None and [w["warning_id"] for w in found.evidence["warnings"]] == ["a", "b"]
    gap = dataclasses.replace(second, starts_at=day_start + timedelta(hours=13))
    assert penalties.judge_penalty(_late(None), DAY, [first, gap]).outcome == penalties.Outcome.insufficient_facts


def test_before_the_measures_no_penalty_is_judged():
    old = penalties.Period("st_0", "l0", "ct_0", date(2021, 1, 4), date(2021, 1, 4))
    at = datetime(2021, 1, 4, 10, 0, tzinfo=BUSINESS_TZ)
    window = dataclasses.replace(RED, starts_at=at - timedelta(hours=1), ends_at=at + timedelta(hours=1))
    judged = penalties.judge_penalty(_late(at), old, [window])
    assert judged.outcome == penalties.Outcome.not_a_lateness_penalty and judged.finding is None
