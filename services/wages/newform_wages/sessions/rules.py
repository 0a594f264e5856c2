"""M7 working time and rest, judged on every platform's sessions together (pure functions, no I/O):
the checks that refuse a session line, rest breaks, daily hours, monthly overtime under standard
hours, part-time limits, and each platform's share of a finding (it never learns the total).

Sources per rule: the measures item 7; 劳动法 arts. 36, 38, 41; 国务院令第174号; 劳动合同法 art. 68;
人社厅发〔2023〕50号 (services/wages/RULES.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from ..rules import PLAUSIBLE_YEARS, FindingSpec, InputError, Severity, calendar_day, policy


def session_input_errors(
    started_at: datetime, ended_at: datetime, order_minutes: int, orders_completed: int
) -> list[InputError]:
    errors = [
        InputError(name, "a time outside the years 1900–2199")
        for name, value in (("started_at", started_at), ("ended_at", ended_at))
        if not PLAUSIBLE_YEARS[0] <= value.year <= PLAUSIBLE_YEARS[1]
    ]
    if errors:
        return errors
    if ended_at <= started_at:
        errors.append(InputError("ended_at", "the session ends before it starts"))
    elif ended_at - started_at > timedelta(hours=24):
        errors.append(InputError("ended_at", "a session longer than 24 hours"))
    elif order_minutes * 60 > (ended_at - started_at).total_seconds():
        errors.append(InputError("order_minutes", "more order time than the session lasted"))
    if order_minutes < 0:
        errors.append(InputError("order_minutes", "must not be negative"))
    if orders_completed < 0:
        errors.append(InputError("orders_completed", "must not be negative"))
    return errors


def overlapping(intervals: Sequence[tuple[datetime, datetime, str]]) -> list[tuple[str, str]]:
    """Pairs (later id, earlier id) of intervals that overlap; the input is one worker on one platform."""
    clashes: list[tuple[str, str]] = []
    ordered = sorted(intervals)
    latest_end, latest_id = None, None
    for start, end, ident in ordered:
        if latest_end is not None and start < latest_end:
            assert latest_id is not None  # set with latest_end
            clashes.append((ident, latest_id))
        if latest_end is None or end > latest_end:
            latest_end, latest_id = end, ident
    return clashes


def longest_continuous_minutes(intervals: Sequence[tuple[datetime, datetime]], min_break_minutes: int) -> int:
    """The longest stretch of work where no gap between sessions reaches the required break."""
    longest, block_start, block_end = 0, None, None
    for start, end in sorted(intervals):
        if block_end is not None and (start - block_end) < timedelta(minutes=min_break_minutes):
            block_end = max(block_end, end)
        else:
            block_start, block_end = start, end
        assert block_start is not None  # set with block_end, in the first round at the latest
        longest = max(longest, int((block_end - block_start).total_seconds() // 60))
    return longest


def continuous_stretches(
    intervals: Sequence[tuple[datetime, datetime]], min_break_minutes: int
) -> list[tuple[datetime, datetime]]:
    """The stretches of work where no gap between sessions reaches the required break, across midnight:
    21:00–24:00 and 00:00–03:00 the next day are one stretch of 6 h (W-10)."""
    stretches: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if stretches and (start - stretches[-1][1]) < timedelta(minutes=min_break_minutes):
            stretches[-1] = (stretches[-1][0], max(stretches[-1][1], end))
        else:
            stretches.append((start, end))
    return stretches


def check_rest_break(intervals: Sequence[tuple[datetime, datetime]], on: date) -> FindingSpec | None:
    """M7: continuous work (gaps shorter than the break) beyond the limit without the forced break."""
    limit = policy("rest.forced_break.after_continuous_minutes", on)
    pause = policy("rest.forced_break.minutes", on)
    longest = longest_continuous_minutes(intervals, pause)
    if longest <= limit:
        return None
    return FindingSpec(
        "M7",
        "M7.rest_break",
        Severity.medium,
        f"连续工作 {longest / 60:.1f} 小时未安排 {pause} 分钟休息（上限 {limit / 60:g} 小时）",
        {"date": on.isoformat(), "continuous_minutes": longest, "limit_minutes": limit, "break_minutes": pause},
    )


def daily_limit_minutes(on: date) -> int:
    limit: int = (policy("hours.statutory_daily_hours", on) + policy("hours.overtime.max_daily_hours", on)) * 60
    return limit


def check_daily_hours(total_minutes: int, own_minutes: int, on: date) -> FindingSpec | None:
    """M7: the day's working time on all platforms together; the platform sees only its own share."""
    limit = daily_limit_minutes(on)
    if total_minutes <= limit:
        return None
    return FindingSpec(
        "M7",
        "M7.daily_hours",
        Severity.medium,
        f"{on.isoformat()} 各平台合计工作 {total_minutes / 60:.1f} 小时，超过 {limit / 60:g} 小时",
        {"date": on.isoformat(), "total_minutes": total_minutes, "own_minutes": own_minutes, "limit_minutes": limit},
    )


def overtime_minutes(daily_minutes: dict[date, int], day_of: Callable[[date], Any] = calendar_day) -> dict[str, int]:
    """Overtime under standard hours by kind of day (劳动法 arts. 36, 38, 41; 国务院令第174号: 8 h a day,
    40 h a week): on a working day the time beyond the statutory day, on a rest day or a statutory
    holiday every minute worked (W-9). The 40-hour week follows from the calendar's five working days
    a week (a make-up working day replaces a rest day of another week)."""
    normal = None
    by_kind = {"working_day": 0, "rest_day": 0, "statutory_holiday": 0}
    for d, m in daily_minutes.items():
        kind = day_of(d).kind.value
        if kind == "working_day":
            normal = normal if normal is not None else policy("hours.statutory_daily_hours", d) * 60
            by_kind[kind] += max(0, m - normal)
        else:
            by_kind[kind] += m
    return by_kind


def check_monthly_overtime(
    daily_minutes: dict[date, int], own_minutes: int, month: date, day_of: Callable[[date], Any] = calendar_day
) -> FindingSpec | None:
    """M7 (full-time labour contract, standard hours): overtime in a month ≤ the monthly cap (36 h)."""
    by_kind = overtime_minutes(daily_minutes, day_of)
    overtime = sum(by_kind.values())
    cap = policy("hours.overtime.max_monthly_hours", month) * 60
    if overtime <= cap:
        return None
    provisional = sorted({d.isoformat() for d in daily_minutes if day_of(d).provisional})
    evidence = {
        "month": f"{month:%Y-%m}",
        "overtime_minutes": overtime,
        "cap_minutes": cap,
        "own_minutes": own_minutes,
        "overtime_by_kind": {k: v for k, v in by_kind.items() if v},
        "source": "劳动法 arts. 36, 38, 41; 国务院令第174号",
    }
    if provisional:  # the days' kinds rest on a year without a loaded schedule (weekends and statutory days only)
        evidence["provisional_days"] = provisional
    return FindingSpec(
        "M7",
        "M7.monthly_overtime",
        Severity.medium,
        f"{month:%Y-%m} 各平台合计加班 {overtime / 60:.1f} 小时，超过每月 {cap / 60:g} 小时",
        evidence,
    )


def check_part_time_hours(daily_minutes: dict[date, int], own_minutes: int, week_start: date) -> FindingSpec | None:
    """M7 (part-time labour contract): ≤ 4 h a day on average over the days worked, ≤ 24 h a week."""
    total = sum(daily_minutes.values())
    days = sum(1 for m in daily_minutes.values() if m > 0)
    weekly = policy("hours.part_time.max_weekly_hours", week_start) * 60
    average = policy("hours.part_time.max_daily_hours_average", week_start) * 60
    if total <= weekly and (days == 0 or total <= average * days):
        return None
    return FindingSpec(
        "M7",
        "M7.part_time_hours",
        Severity.medium,
        f"非全日制用工 {week_start.isoformat()} 起一周合计工作 {total / 60:.1f} 小时（{days} 天）",
        {
            "week_start": week_start.isoformat(),
            "total_minutes": total,
            "days_worked": days,
            "weekly_limit_minutes": weekly,
            "daily_average_limit_minutes": average,
            "own_minutes": own_minutes,
        },
    )


#: What a working-time finding tells one platform: its own part and the limit, never the total.
PLATFORM_SHARE_SUMMARY = {
    "M7.daily_hours": "劳动者当日在各平台的合计工作时间超过上限",
    "M7.monthly_overtime": "劳动者当月在各平台的合计加班时间超过上限",
    "M7.part_time_hours": "非全日制劳动者当周在各平台的合计工作时间超过上限",
    "M7.rest_break": "劳动者连续工作未按规定休息",
}
_PLATFORM_EVIDENCE = {
    "date",
    "month",
    "week_start",
    "limit_minutes",
    "cap_minutes",
    "weekly_limit_minutes",
    "daily_average_limit_minutes",
    "break_minutes",
}


def platform_share(spec: FindingSpec, own_minutes: int) -> FindingSpec:
    """One platform's copy of a working-time finding judged on every platform's sessions."""
    evidence = {k: v for k, v in spec.evidence.items() if k in _PLATFORM_EVIDENCE}
    evidence.update(own_minutes=own_minutes, judged_on="all_platforms")
    summary = f"{PLATFORM_SHARE_SUMMARY.get(spec.rule, spec.summary)}（本平台 {own_minutes / 60:.1f} 小时）"
    return FindingSpec(spec.measure, spec.rule, spec.severity, summary, evidence)
