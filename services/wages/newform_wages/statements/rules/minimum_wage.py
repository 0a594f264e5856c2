"""M6 minimum wage (最低工资规定 arts. 3, 12; 青政〔2019〕68号, 青政〔2023〕8号; 人社厅发〔2023〕50号 for the
basis by engagement type) and the early warning of pay close above the hourly minimum."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

from newform_common.policy import Policy

from ...engagements.rules import Engagement
from ...rules import FindingSpec, Severity, add_months, ceil_fen, each_day, loaded_policy, policy, policy_value
from .facts import Statement


def minimum_wage_basis(e: Engagement, on: date) -> str:
    basis: dict[str, str] = policy("pay.minimum_wage.basis", on)
    return basis.get(e.basis_key, "none")


def minimum_pay_required(basis: str, start: date, end: date, normal_minutes: int) -> Fraction:
    """The least pay for normal time over a period, day by day under the standard of each day.

    Monthly (最低工资规定 arts. 3, 12: the standard is for a month of normal work, whatever the month's
    length): the period is cut into pay months from its first day; a whole pay month owes the monthly
    standard (weighted by days only where the standard changes inside it), a part of one its share of
    that pay month's days. Hourly: the normal hours spread evenly over the period's days, each day's
    hours at that day's hourly standard.
    """
    if basis not in ("monthly", "hourly"):
        return Fraction(0)
    rate = _minimum_rate(loaded_policy(), basis, start, end)
    return rate if basis == "monthly" else rate * normal_minutes


@lru_cache(maxsize=4096)
def _minimum_rate(loaded: Policy, basis: str, start: date, end: date) -> Fraction:
    """Monthly: the period's whole minimum. Hourly: the minimum per minute of normal time (the minutes
    spread evenly over the days: Σ standard × days / (total days × 60), exact)."""
    if basis == "monthly":
        return _monthly_minimum(loaded, start, end, start, end)
    runs = _standard_runs(loaded, basis, start, end)
    total_days = (end - start).days + 1
    return sum((Fraction(standard * days, total_days * 60) for (standard, _), days in runs.items()), Fraction(0))


@lru_cache(maxsize=4096)
def _monthly_minimum(loaded: Policy, month_from: date, end: date, covered_start: date, covered_end: date) -> Fraction:
    """Σ over the days of [covered_start, covered_end] of (that day's monthly standard / the length of its
    pay month), pay months counted from `month_from` (the period's own first day, or the agreed pay month)."""
    total, k = Fraction(0), 0
    while True:
        first, following = add_months(month_from, k), add_months(month_from, k + 1)
        if first > end:
            return total
        length = (following - first).days
        for d in each_day(max(first, covered_start), min(following - timedelta(days=1), covered_end, end)):
            total += Fraction(policy_value(loaded, "pay.minimum_wage.monthly_fen", d), length)
        k += 1


def _meets_minimum(pay_fen: int, basis: str, start: date, end: date, normal_minutes: int) -> bool:
    """pay ≥ minimum_pay_required(...), in integers (a batch compares thousands of lines)."""
    rate = _minimum_rate(loaded_policy(), basis, start, end)
    if basis == "monthly":
        return pay_fen * rate.denominator >= rate.numerator
    return pay_fen * rate.denominator >= rate.numerator * normal_minutes


@lru_cache(maxsize=4096)
def _standard_runs(loaded: Policy, basis: str, start: date, end: date) -> dict[tuple[int, int], int]:
    """Days of a period grouped by their hourly standard: a batch's lines share a few periods, so each
    period is walked once per loaded policy."""
    runs: dict[tuple[int, int], int] = {}
    for d in each_day(start, end):
        key = (policy_value(loaded, "pay.minimum_wage.hourly_fen", d), 1)
        runs[key] = runs.get(key, 0) + 1
    return runs


def shorter_than_a_pay_month(start: date, end: date) -> bool:
    return end < add_months(start, 1) - timedelta(days=1)


def check_minimum_wage(s: Statement, e: Engagement) -> FindingSpec | None:
    """M6: normal pay ≥ the minimum by basis (monthly for a full-time labour contract, hourly otherwise).

    A monthly-basis statement shorter than a pay month (daily or weekly pay) is not judged alone: the
    monthly standard is not split into days (W-5); its pay month is judged on the sum of its statements
    (`check_minimum_wage_month`, by the clock `wages.minimum_wage_month`)."""
    basis = minimum_wage_basis(e, s.period_start)
    if basis == "none" or (basis == "hourly" and s.normal_minutes == 0):
        return None
    if basis == "monthly" and shorter_than_a_pay_month(s.period_start, s.period_end):
        return None
    if _meets_minimum(s.normal_pay_fen, basis, s.period_start, s.period_end, s.normal_minutes):
        return None
    required = minimum_pay_required(basis, s.period_start, s.period_end, s.normal_minutes)
    shortfall = required - s.normal_pay_fen
    return FindingSpec(
        "M6",
        "M6.minimum_wage",
        Severity.high,
        f"正常工作时间工资 {s.normal_pay_fen / 100:.2f} 元，低于最低工资标准（{_basis_zh(basis)}）"
        f" {float(required) / 100:.2f} 元",
        {
            "basis": basis,
            "normal_pay_fen": s.normal_pay_fen,
            "required_fen": ceil_fen(required),
            "shortfall_fen": ceil_fen(shortfall),
            "normal_minutes": s.normal_minutes,
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
        },
    )


def check_minimum_wage_month(
    pay_fen: int, month_start: date, month_end: date, engaged_from: date, engaged_until: date | None, statements: int
) -> FindingSpec | None:
    """M6 (monthly basis): the normal pay of one pay month, summed over its shorter statements (daily or
    weekly pay), against the monthly standard; a month the engagement covers only in part owes its share
    of the month's days (最低工资规定 art. 12: the standard is for the normal work actually required)."""
    covered_start = max(month_start, engaged_from)
    covered_end = min(month_end, engaged_until or month_end)
    if covered_end < covered_start:
        return None
    required = _monthly_minimum(loaded_policy(), month_start, month_end, covered_start, covered_end)
    if pay_fen >= required:
        return None
    return FindingSpec(
        "M6",
        "M6.minimum_wage",
        Severity.high,
        f"{month_start.isoformat()} 至 {month_end.isoformat()} 正常工作时间工资合计 "
        f"{pay_fen / 100:.2f} 元，低于月最低工资标准 {float(required) / 100:.2f} 元",
        {
            "basis": "monthly",
            "normal_pay_fen": pay_fen,
            "required_fen": ceil_fen(required),
            "shortfall_fen": ceil_fen(required - pay_fen),
            "period_start": month_start.isoformat(),
            "period_end": month_end.isoformat(),
            "statements": statements,
            "judged_on": "pay_month_sum",
        },
    )


def check_low_hourly_pay(s: Statement, e: Engagement) -> FindingSpec | None:
    """Early warning (M6, low): pay per working hour within the policy's margin above the hourly minimum."""
    if s.normal_minutes == 0 or minimum_wage_basis(e, s.period_start) != "hourly":
        return None
    if not _meets_minimum(s.normal_pay_fen, "hourly", s.period_start, s.period_end, s.normal_minutes):
        return None  # below the minimum: the minimum-wage finding says so
    required = minimum_pay_required("hourly", s.period_start, s.period_end, s.normal_minutes)
    margin = policy("wages.early_warning.hourly_pay_margin_percent", s.period_start)
    if s.normal_pay_fen * 100 > required * (100 + margin):
        return None
    per_hour = Fraction(s.normal_pay_fen * 60, s.normal_minutes)
    return FindingSpec(
        "M6",
        "M6.early_warning_low_hourly_pay",
        Severity.low,
        f"每工作小时报酬 {float(per_hour) / 100:.2f} 元，接近小时最低工资标准",
        {
            "pay_per_hour_fen": ceil_fen(per_hour),
            "margin_percent": margin,
            "required_fen": ceil_fen(required),
            "normal_pay_fen": s.normal_pay_fen,
        },
    )


def _basis_zh(basis: str) -> str:
    return {"monthly": "月最低工资", "hourly": "小时最低工资"}.get(basis, basis)
