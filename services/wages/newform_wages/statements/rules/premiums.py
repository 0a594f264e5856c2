"""M6 premiums for overtime, rest-day and holiday work (劳动法 art. 44; 工资支付暂行规定 art. 13; the
measures item 6 for holiday work outside a labour relationship), each date's kind from the national
calendar; a premium day of a year without its State Council schedule stays pending."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any

from ...engagements.rules import Engagement
from ...rules import FindingSpec, Severity, calendar_day, ceil_fen, policy
from .facts import Statement

PREMIUM_PARAMETER = {
    "working_day": "pay.overtime_multiplier_percent.working_day",
    "rest_day": "pay.overtime_multiplier_percent.rest_day",
    "statutory_holiday": "pay.overtime_multiplier_percent.statutory_holiday",
}


def pending_premium_days(s: Statement, day_of: Callable[[date], Any] = calendar_day) -> list[date]:
    """Premium days whose premium waits for the year's schedule: not a statutory holiday (those are
    known by law for any year) in a year whose State Council schedule is not loaded, so the day may
    yet be a rest day or a working day (200 % or 150 %). Their premium question is pending."""
    return sorted({p.day for p in s.premium_days if day_of(p.day).provisional})


def premium_minutes(s: Statement, day_of: Callable[[date], Any] = calendar_day) -> tuple[dict[str, int], int]:
    """Minutes by kind of day that earn a premium, and rest-day minutes given time off in lieu instead.

    With `premium_days` each date's kind comes from the calendar (a make-up working day is a working
    day; a statutory holiday is 300 % even if declared as overtime) and every minute listed counts (a
    whole holiday shift is all premium, W-7); otherwise the declared hours per kind. 劳动法 art. 44(2):
    rest-day work with time off in lieu owes no premium (W-8); time off does not replace the premium of
    overtime on a working day or of holiday work."""
    minutes: dict[str, int] = {"working_day": 0, "rest_day": 0, "statutory_holiday": 0}
    in_lieu = 0
    if s.premium_days:
        for p in s.premium_days:
            kind = day_of(p.day).kind.value
            if kind == "rest_day" and p.time_off_on is not None:
                in_lieu += p.minutes
            else:
                minutes[kind] += p.minutes
    else:
        minutes.update(working_day=s.overtime_minutes, rest_day=s.rest_day_minutes, statutory_holiday=s.holiday_minutes)
    return minutes, in_lieu


def check_premiums(s: Statement, e: Engagement, day_of: Callable[[date], Any] = calendar_day) -> FindingSpec | None:
    """M6: premium pay for work beyond the normal day, on rest days and on statutory holidays.

    Labour relationship (劳动法 art. 44): paid premiums ≥ the normal hourly rate × minutes × 150 / 200 /
    300 %. Any other engagement (the measures item 6: 企业安排劳动者法定节假日工作的，应当支付高于正常工作时间的
    工资报酬): holiday work paid above the normal rate (W-6). The paid premiums are compared in total against
    the required total. A statement with a premium day pending the schedule is not judged here (the
    caller judges it when the schedule is loaded)."""
    if s.normal_minutes == 0:
        return None
    if not e.labour_relationship:  # only statutory holidays count here, and those are known for any year
        minutes, _ = premium_minutes(s, day_of)
        return _check_holiday_pay_above_normal(s, e, minutes["statutory_holiday"])
    if pending_premium_days(s, day_of):
        return None
    minutes, in_lieu = premium_minutes(s, day_of)
    paid = s.overtime_fen + s.rest_day_fen + s.holiday_fen
    # paid ≥ Σ pay/normal minutes × minutes × percent / 100, in integers (the Fractions only for a finding)
    weighted = sum(m * policy(PREMIUM_PARAMETER[k], s.period_start) for k, m in minutes.items() if m)
    if paid * s.normal_minutes * 100 >= s.normal_pay_fen * weighted:
        return None
    rate = Fraction(s.normal_pay_fen, s.normal_minutes)  # fen per minute of normal time
    required = {k: rate * m * policy(PREMIUM_PARAMETER[k], s.period_start) / 100 for k, m in minutes.items() if m}
    total = sum(required.values(), Fraction(0))
    evidence = {
        "paid_fen": paid,
        "required_fen": ceil_fen(total),
        "required_by_kind_fen": {k: ceil_fen(v) for k, v in required.items()},
        "minutes_by_kind": {k: m for k, m in minutes.items() if m},
        "percent": {k: policy(PREMIUM_PARAMETER[k], s.period_start) for k in required},
        "source": "劳动法 art. 44",
    }
    if in_lieu:
        evidence["rest_day_minutes_with_time_off_in_lieu"] = in_lieu
    return FindingSpec(
        "M6",
        "M6.overtime_premium",
        Severity.high,
        f"加班工资 {paid / 100:.2f} 元，低于法定标准 {float(total) / 100:.2f} 元",
        evidence,
    )


def _check_holiday_pay_above_normal(s: Statement, e: Engagement, holiday_minutes: int) -> FindingSpec | None:
    if holiday_minutes == 0:
        return None
    paid = s.holiday_fen
    # paid > normal pay / normal minutes × holiday minutes (strictly above the normal rate), in integers
    if paid * s.normal_minutes > s.normal_pay_fen * holiday_minutes:
        return None
    at_normal = Fraction(s.normal_pay_fen * holiday_minutes, s.normal_minutes)
    return FindingSpec(
        "M6",
        "M6.overtime_premium",
        Severity.high,
        f"法定节假日工作 {holiday_minutes / 60:g} 小时，报酬 {paid / 100:.2f} 元，"
        f"未高于正常工作时间工资 {float(at_normal) / 100:.2f} 元",
        {
            "paid_fen": paid,
            "normal_rate_pay_fen": ceil_fen(at_normal),
            "minutes_by_kind": {"statutory_holiday": holiday_minutes},
            "required": "above_normal_rate",
            "engagement_type": e.engagement_type,
            "source": "the measures item 6 (法定节假日工作应当支付高于正常工作时间的工资报酬)",
        },
    )
