"""The policy's checks for wages, as pure functions over plain data.

Rejects return `InputError`s / `Violation`s, findings return `FindingSpec`s; numbers come from
`get_policy().value(name, on=date)` by the fact's own date, never from literals. `RULES` lists
every rule id this service can emit (checked against the gateway's credit rules, routing and
scorecards). Money is integer fen, working time integer minutes; shares are compared as exact
fractions, so no rounding decides a finding.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any, Literal

from newform_common import calendar as national_calendar
from newform_common.findings import FindingSpec, RuleDef, Severity, Violation  # noqa: F401
from newform_common.policy import get_policy

RULES: tuple[RuleDef, ...] = (
    RuleDef("M6.max_pay_period", "finding", "A pay period is at most one month (part-time: at most 15 days)"),
    RuleDef(
        "M6.minimum_wage",
        "finding",
        "Pay for normal working time is at least the minimum wage of its basis (monthly / hourly), day by day",
    ),
    RuleDef(
        "M6.overtime_premium",
        "finding",
        "Under a labour relationship: overtime ≥ 150 %, rest days ≥ 200 %, statutory holidays ≥ 300 %",
    ),
    RuleDef("M6.unlawful_deduction", "finding", "Fines, deposits, risk money or equipment fees deducted from pay"),
    RuleDef("M6.deduction_without_lawful_reason", "finding", "A deduction names no lawful reason"),
    RuleDef("M6.paid_in_money", "finding", "Wages are paid in money, not points, coupons or goods"),
    RuleDef("M6.wage_arrears", "finding", "Unpaid or short-paid after the due date: arrears (of the difference)"),
    RuleDef("M6.paid_late", "finding", "Paid in full but after the due date"),
    RuleDef("M6.statement_missing", "finding", "No paid statement for a known engagement's period at its due date"),
    RuleDef(
        "M6.pay_report_unresolved",
        "finding",
        "A worker's report of unpaid or short pay that the platform's statements do not resolve",
    ),
    RuleDef(
        "M6.early_warning_low_hourly_pay",
        "finding",
        "Early warning: pay per working hour close above the hourly minimum",
    ),
    RuleDef(
        "M6.early_warning_late_share_rising",
        "finding",
        "Early warning: a platform's share of statements paid late or short rises from one month to the next",
    ),
    RuleDef(
        "M19.related_unit_arrears",
        "finding",
        "A related unit's wage arrears where the platform was entrusted to pay (the unit stays liable)",
    ),
    RuleDef("M20.wage_arrears_enforcement", "finding", "Wage arrears, for the joint enforcement channel"),
    RuleDef("M7.rest_break", "finding", "Continuous working time beyond the limit without the required break"),
    RuleDef(
        "M7.daily_hours", "finding", "Working time in a day (all platforms) beyond the statutory day plus overtime"
    ),
    RuleDef("M7.monthly_overtime", "finding", "Overtime in a month (all platforms) beyond the cap, labour contract"),
    RuleDef("M7.part_time_hours", "finding", "Part-time work beyond 4 h a day on average or 24 h a week"),
    RuleDef(
        "M7.quota_unreachable",
        "finding",
        "Fewer than 90 % of the workers on a post reach the declared quota within statutory hours",
    ),
)

DayKind = Literal["statutory_holiday", "rest_day", "working_day"]
MINUTES_PER_DAY = 24 * 60
#: Bounds of plausible input (not policy): a statement spans at most a year, and is due within a year.
MAX_STATEMENT_DAYS = 366
PLAUSIBLE_YEARS = (1900, 2199)


_held_policy: ContextVar[Any] = ContextVar("wages_held_policy", default=None)


@contextmanager
def one_policy() -> Iterator[None]:
    """Judge a whole batch under the policy loaded at its start (and skip the per-call look-up)."""
    token = _held_policy.set(get_policy())
    try:
        yield
    finally:
        _held_policy.reset(token)


def policy(name: str, on: date | datetime):
    """The policy's value on a business date. Batches ask the same few (name, date) pairs thousands of
    times, so answers are remembered per loaded policy (a new policy object is a new cache)."""
    return _policy_value(_held_policy.get() or get_policy(), name, on)


@lru_cache(maxsize=65536)
def _policy_value(loaded, name: str, on: date | datetime):
    return loaded.value(name, on=on)


@lru_cache(maxsize=4096)
def _measures_status(loaded, on: date):
    return loaded.measures_status(on)


def _loaded():
    return _held_policy.get() or get_policy()


def measures_status(on: date):
    """Which version of the measures applies on `on` (PolicyNotInForce before them or when none applies)."""
    return _measures_status(_held_policy.get() or get_policy(), on)


# ---------------------------------------------------------------------------------------------
# Facts, as the rules see them
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Engagement:
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: str  # labor_contract | work_agreement | civil
    part_time: bool
    occupation: str
    district: str
    start_date: date
    end_date: date | None
    pay_period: str  # hour | day | week | month
    pay_schedule: dict | None = None  # the agreed pay period and pay day (contracts' terms.pay_schedule)
    hours_arrangement: str | None = None  # standard | comprehensive | flexible | part_time (None: not said)

    @property
    def labour_relationship(self) -> bool:
        return self.engagement_type == "labor_contract"

    @property
    def basis_key(self) -> str:
        return "labor_contract_part_time" if self.labour_relationship and self.part_time else self.engagement_type


@dataclass(frozen=True)
class Deduction:
    reason: str
    amount_fen: int


@dataclass(frozen=True)
class PremiumDay:
    """Work on one date that earns a premium: on a working day the time beyond the normal day, on a
    rest day or a statutory holiday every minute worked (劳动法 art. 44). The calendar says which."""

    day: date
    minutes: int
    time_off_on: date | None = None  # time off in lieu given for it (补休): no rest-day premium is then due


@dataclass(frozen=True)
class Statement:
    period_start: date
    period_end: date
    due_date: date
    gross_fen: int
    base_fen: int = 0
    piece_fen: int = 0
    overtime_fen: int = 0
    rest_day_fen: int = 0
    holiday_fen: int = 0
    allowances_fen: int = 0
    deductions: tuple[Deduction, ...] = ()
    normal_minutes: int = 0
    overtime_minutes: int = 0
    rest_day_minutes: int = 0
    holiday_minutes: int = 0
    night_minutes: int = 0
    paid_fen: int = 0
    paid_on: date | None = None
    payment_method: str = "bank"
    premium_days: tuple[PremiumDay, ...] = ()

    @property
    def normal_pay_fen(self) -> int:
        """Pay for normal working time: premiums and allowances excluded (the minimum-wage basis)."""
        return self.base_fen + self.piece_fen

    @cached_property
    def deductions_fen(self) -> int:
        return sum(d.amount_fen for d in self.deductions)

    @cached_property
    def net_due_fen(self) -> int:
        return max(0, self.gross_fen - self.deductions_fen)

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    @property
    def worked_minutes(self) -> int:
        return self.normal_minutes + self.overtime_minutes + self.rest_day_minutes + self.holiday_minutes


@dataclass(frozen=True)
class InputError:
    """One bad field of one line: nothing of the line is stored."""

    field: str
    message: str
    measure: str | None = None
    rule: str | None = None


def each_day(start: date, end: date) -> Iterable[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def pay_period_of(pay_period: str, schedule: dict | None, day: date) -> tuple[date, date]:
    """The pay period holding `day`: a pay month from the agreed start day (a calendar month when none
    is agreed), an ISO week, or the day itself (hourly and daily pay)."""
    period = (schedule or {}).get("period") or pay_period
    if period == "month":
        first = (schedule or {}).get("month_start_day") or 1
        start = day.replace(day=first) if day.day >= first else add_months(day.replace(day=first), -1)
        return start, add_months(start, 1) - timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    return day, day


def agreed_pay_day(schedule: dict | None, period_end: date) -> date | None:
    """The pay day agreed in the contract for the period ending `period_end` (None when none is agreed).

    工资支付暂行规定 art. 7 and the measures item 6 (按约定时间足额支付): wages are due on the agreed day;
    a month shorter than the agreed day of the month pays on its last day."""
    if not schedule:
        return None
    if schedule.get("period") == "month":
        month = add_months(period_end.replace(day=1), schedule.get("month_offset", 1))
        return month.replace(day=min(schedule["day_of_month"], calendar.monthrange(month.year, month.month)[1]))
    return period_end + timedelta(days=schedule.get("days_after_period_end") or 0)


def pay_due_date(schedule: dict | None, period_end: date) -> date:
    """The agreed pay day, else the policy's default days after the period's end."""
    return agreed_pay_day(schedule, period_end) or period_end + timedelta(
        days=policy("wages.pay_due_days_after_period_end", period_end)
    )


# ---------------------------------------------------------------------------------------------
# Input checks (rejects, line by line)
# ---------------------------------------------------------------------------------------------
NON_NEGATIVE = (
    "gross_fen",
    "base_fen",
    "piece_fen",
    "overtime_fen",
    "rest_day_fen",
    "holiday_fen",
    "allowances_fen",
    "paid_fen",
    "normal_minutes",
    "overtime_minutes",
    "rest_day_minutes",
    "holiday_minutes",
    "night_minutes",
)


def statement_input_errors(s: Statement) -> list[InputError]:
    errors = [
        InputError(name, "a date outside the years 1900–2199")
        for name, value in (
            ("period_start", s.period_start),
            ("period_end", s.period_end),
            ("due_date", s.due_date),
            ("paid_on", s.paid_on),
        )
        if value is not None and not PLAUSIBLE_YEARS[0] <= value.year <= PLAUSIBLE_YEARS[1]
    ]
    if errors:
        return errors
    if s.period_end < s.period_start:
        errors.append(InputError("period_end", "the period ends before it starts"))
        return errors
    if s.days > MAX_STATEMENT_DAYS:
        errors.append(
            InputError(
                "period_end",
                f"a period of {s.days} days: one statement covers at most {MAX_STATEMENT_DAYS} days (a year)",
            )
        )
        return errors
    if s.due_date < s.period_end:
        errors.append(InputError("due_date", "pay cannot be due before the period ends"))
    elif (s.due_date - s.period_end).days > MAX_STATEMENT_DAYS:
        errors.append(InputError("due_date", "pay due more than a year after the period ends"))
    if s.paid_on is not None and (s.paid_on - s.period_end).days > 20 * MAX_STATEMENT_DAYS:
        errors.append(InputError("paid_on", "a payment date decades after the period"))
    if (
        min(
            s.gross_fen,
            s.base_fen,
            s.piece_fen,
            s.overtime_fen,
            s.rest_day_fen,
            s.holiday_fen,
            s.allowances_fen,
            s.paid_fen,
            s.normal_minutes,
            s.overtime_minutes,
            s.rest_day_minutes,
            s.holiday_minutes,
            s.night_minutes,
        )
        < 0
    ):  # one comparison for the usual line, then which ones
        errors.extend(InputError(name, "must not be negative") for name in NON_NEGATIVE if getattr(s, name) < 0)
    for i, d in enumerate(s.deductions):
        if d.amount_fen < 0:
            errors.append(InputError(f"deductions[{i}].amount_fen", "must not be negative"))
    if s.worked_minutes > s.days * MINUTES_PER_DAY:
        errors.append(
            InputError(
                "normal_hours", f"{s.worked_minutes / 60:g} h of work in {s.days} day(s): more than 24 hours a day"
            )
        )
    per_day: dict[date, int] = {}
    for i, p in enumerate(s.premium_days):
        if not s.period_start <= p.day <= s.period_end:
            errors.append(InputError(f"premium_days[{i}].date", "outside the pay period"))
        per_day[p.day] = per_day.get(p.day, 0) + p.minutes
        if p.minutes < 0 or per_day[p.day] > MINUTES_PER_DAY:
            errors.append(InputError(f"premium_days[{i}].hours", "must be between 0 and 24 hours a day"))
    if s.paid_fen > 0 and s.paid_on is None:
        errors.append(InputError("paid_on", "an amount paid needs its payment date"))
    return errors


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
            clashes.append((ident, latest_id))
        if latest_end is None or end > latest_end:
            latest_end, latest_id = end, ident
    return clashes


# ---------------------------------------------------------------------------------------------
# M6 pay
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _pay_period_excess(loaded, part_time: bool, start: date, end: date) -> tuple[bool, str]:
    """Whether a period is too long, and the limit in words (a batch's lines share a few periods)."""
    days = (end - start).days + 1
    if part_time:
        limit = _policy_value(loaded, "pay.part_time.max_pay_period_days", start)
        return days > limit, f"{limit} 天"
    limit = _policy_value(loaded, "pay.max_pay_period_days", start)
    return days > limit or end >= add_months(start, 1), "一个月"


def check_pay_period(s: Statement, e: Engagement) -> FindingSpec | None:
    """M6: at most one month (a calendar month's length); part-time at most 15 days."""
    too_long, limit_text = _pay_period_excess(_loaded(), e.part_time, s.period_start, s.period_end)
    if not too_long:
        return None
    return FindingSpec(
        "M6",
        "M6.max_pay_period",
        Severity.medium,
        f"工资支付周期 {s.days} 天，超过{limit_text}",
        {
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
            "days": s.days,
            "part_time": e.part_time,
            "limit": limit_text,
        },
    )


def minimum_wage_basis(e: Engagement, on: date) -> str:
    basis = policy("pay.minimum_wage.basis", on)
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
    rate = _minimum_rate(_loaded(), basis, start, end)
    return rate if basis == "monthly" else rate * normal_minutes


@lru_cache(maxsize=4096)
def _minimum_rate(loaded, basis: str, start: date, end: date) -> Fraction:
    """Monthly: the period's whole minimum. Hourly: the minimum per minute of normal time (the minutes
    spread evenly over the days: Σ standard × days / (total days × 60), exact)."""
    if basis == "monthly":
        return _monthly_minimum(loaded, start, end, start, end)
    runs = _standard_runs(loaded, basis, start, end)
    total_days = (end - start).days + 1
    return sum((Fraction(standard * days, total_days * 60) for (standard, _), days in runs.items()), Fraction(0))


@lru_cache(maxsize=4096)
def _monthly_minimum(loaded, month_from: date, end: date, covered_start: date, covered_end: date) -> Fraction:
    """Σ over the days of [covered_start, covered_end] of (that day's monthly standard / the length of its
    pay month), pay months counted from `month_from` (the period's own first day, or the agreed pay month)."""
    total, k = Fraction(0), 0
    while True:
        first, following = add_months(month_from, k), add_months(month_from, k + 1)
        if first > end:
            return total
        length = (following - first).days
        for d in each_day(max(first, covered_start), min(following - timedelta(days=1), covered_end, end)):
            total += Fraction(_policy_value(loaded, "pay.minimum_wage.monthly_fen", d), length)
        k += 1


def _meets_minimum(pay_fen: int, basis: str, start: date, end: date, normal_minutes: int) -> bool:
    """pay ≥ minimum_pay_required(...), in integers (a batch compares thousands of lines)."""
    rate = _minimum_rate(_loaded(), basis, start, end)
    if basis == "monthly":
        return pay_fen * rate.denominator >= rate.numerator
    return pay_fen * rate.denominator >= rate.numerator * normal_minutes


@lru_cache(maxsize=4096)
def _standard_runs(loaded, basis: str, start: date, end: date) -> dict[tuple[int, int], int]:
    """Days of a period grouped by their hourly standard: a batch's lines share a few periods, so each
    period is walked once per loaded policy."""
    runs: dict[tuple[int, int], int] = {}
    for d in each_day(start, end):
        key = (_policy_value(loaded, "pay.minimum_wage.hourly_fen", d), 1)
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
            "required_fen": _ceil(required),
            "shortfall_fen": _ceil(shortfall),
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
    required = _monthly_minimum(_loaded(), month_start, month_end, covered_start, covered_end)
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
            "required_fen": _ceil(required),
            "shortfall_fen": _ceil(required - pay_fen),
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
            "pay_per_hour_fen": _ceil(per_hour),
            "margin_percent": margin,
            "required_fen": _ceil(required),
            "normal_pay_fen": s.normal_pay_fen,
        },
    )


def check_late_share_rising(previous: tuple[int, int], current: tuple[int, int], month: date) -> FindingSpec | None:
    """Early warning (M6, low): the share of a platform's statements paid late or short (late, total) rose
    by at least the policy's points from the previous month to `month`."""
    (late_before, total_before), (late_now, total_now) = previous, current
    if total_before == 0 or total_now == 0:
        return None
    rise = policy("wages.early_warning.late_share_rise_points", month)
    # late_now/total_now - late_before/total_before >= rise/100, in integers
    if (late_now * total_before - late_before * total_now) * 100 < rise * total_now * total_before:
        return None
    return FindingSpec(
        "M6",
        "M6.early_warning_late_share_rising",
        Severity.low,
        f"{month:%Y-%m} 迟发或少发工资的比例升至 {late_now * 100 // total_now}%"
        f"（上月 {late_before * 100 // total_before}%）",
        {
            "month": f"{month:%Y-%m}",
            "late": late_now,
            "statements": total_now,
            "previous_late": late_before,
            "previous_statements": total_before,
            "rise_points": rise,
        },
    )


def calendar_day(day: date) -> national_calendar.Day:
    """The national calendar's answer for a date (any year; `provisional` when the year's schedule is not loaded)."""
    return national_calendar.day(day)


def day_kind(day: date) -> DayKind:
    return calendar_day(day).kind.value  # type: ignore[return-value]


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
        "required_fen": _ceil(total),
        "required_by_kind_fen": {k: _ceil(v) for k, v in required.items()},
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
            "normal_rate_pay_fen": _ceil(at_normal),
            "minutes_by_kind": {"statutory_holiday": holiday_minutes},
            "required": "above_normal_rate",
            "engagement_type": e.engagement_type,
            "source": "the measures item 6 (法定节假日工作应当支付高于正常工作时间的工资报酬)",
        },
    )


@lru_cache(maxsize=4096)
def _deduction_reasons(loaded, on: date) -> tuple[frozenset[str], frozenset[str]]:
    """(lawful, forbidden) reasons on a date, as sets built once per date and policy."""
    return (
        frozenset(_policy_value(loaded, "wages.deductions.lawful_reasons", on)),
        frozenset(_policy_value(loaded, "wages.deductions.forbidden_reasons", on)),
    )


def check_deductions(s: Statement) -> list[FindingSpec]:
    """M6: each deduction needs a lawful reason; fines, deposits, risk money, equipment fees are forbidden."""
    lawful, forbidden = _deduction_reasons(_loaded(), s.period_start)
    found: list[FindingSpec] = []
    bad = [d for d in s.deductions if d.reason in forbidden]
    if bad:
        found.append(
            FindingSpec(
                "M6",
                "M6.unlawful_deduction",
                Severity.high,
                f"从工资中扣除{'、'.join(sorted({d.reason for d in bad}))}，共 "
                f"{sum(d.amount_fen for d in bad) / 100:.2f} 元",
                {"deductions": [{"reason": d.reason, "amount_fen": d.amount_fen} for d in bad]},
            )
        )
    unexplained = [d for d in s.deductions if d.reason not in lawful and d.reason not in forbidden]
    if unexplained:
        found.append(
            FindingSpec(
                "M6",
                "M6.deduction_without_lawful_reason",
                Severity.medium,
                f"{len(unexplained)} 项扣款无法定理由",
                {"deductions": [{"reason": d.reason, "amount_fen": d.amount_fen} for d in unexplained]},
            )
        )
    return found


def check_paid_in_money(s: Statement) -> FindingSpec | None:
    if s.payment_method in policy("wages.payment_methods.money", s.period_start):
        return None
    return FindingSpec(
        "M6",
        "M6.paid_in_money",
        Severity.high,
        f"工资以非货币形式（{s.payment_method}）支付",
        {"payment_method": s.payment_method, "paid_fen": s.paid_fen},
    )


def arrears_fen(s: Statement, today: date) -> int:
    """What is owed after the due date (0 before it): the net due minus what was paid by then or since."""
    if today <= s.due_date:
        return 0
    return max(0, s.net_due_fen - s.paid_fen)


def check_arrears(s: Statement, today: date) -> FindingSpec | None:
    """M6: unpaid or short-paid after the due date is arrears (partial payment: of the difference)."""
    owed = arrears_fen(s, today)
    if owed == 0:
        return None
    return FindingSpec(
        "M6",
        "M6.wage_arrears",
        Severity.high,
        f"拖欠工资 {owed / 100:.2f} 元（应发 {s.net_due_fen / 100:.2f} 元，已付 {s.paid_fen / 100:.2f} 元）",
        {
            "arrears_fen": owed,
            "net_due_fen": s.net_due_fen,
            "paid_fen": s.paid_fen,
            "due_date": s.due_date.isoformat(),
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
            "partial": s.paid_fen > 0,
        },
    )


def check_paid_late(s: Statement) -> FindingSpec | None:
    if s.paid_on is None or s.paid_on <= s.due_date or s.paid_fen < s.net_due_fen:
        return None
    return FindingSpec(
        "M6",
        "M6.paid_late",
        Severity.low,
        f"工资迟延 {(s.paid_on - s.due_date).days} 天支付",
        {
            "due_date": s.due_date.isoformat(),
            "paid_on": s.paid_on.isoformat(),
            "days_late": (s.paid_on - s.due_date).days,
        },
    )


def enforcement_of(arrears: FindingSpec) -> FindingSpec:
    """M20: the same arrears for the joint enforcement channel (its own departments)."""
    return FindingSpec(
        "M20",
        "M20.wage_arrears_enforcement",
        arrears.severity,
        arrears.summary,
        {**arrears.evidence, "source_rule": arrears.rule},
    )


def related_unit_arrears(arrears: FindingSpec, unit: dict) -> FindingSpec:
    """M19/M6: the platform entrusted to pay a related unit's staff is told of the unit's arrears (and the
    credit supervision units see the platform's part). The unit stays liable for its staff's pay (item 6:
    关联单位…承担本单位员工劳动报酬支付主体责任; 可委托平台企业支付 moves the payment, not the liability): the
    credit record is the unit's (the M6.wage_arrears finding, its own credit code), never the platform's."""
    liable = ["related_unit"]
    return FindingSpec(
        "M19",
        "M19.related_unit_arrears",
        arrears.severity,
        f"关联单位{unit['name']}拖欠工资：{arrears.summary}",
        {
            **arrears.evidence,
            "related_unit_id": unit["enterprise_id"],
            "unit_name": unit["name"],
            "credit_code": unit["credit_code"],
            "platform_entrusted_to_pay": unit["platform_entrusted_to_pay"],
            "liable": liable,
            "entrusted_payer": "platform" if unit["platform_entrusted_to_pay"] else None,
        },
    )


def judge_statement(
    s: Statement, e: Engagement, today: date, day_of: Callable[[date], Any] = calendar_day
) -> list[FindingSpec]:
    """Every M6 rule on one statement of a known engagement (a premium question pending the year's
    schedule is left out: `pending_premium_days`)."""
    found = [
        check_pay_period(s, e),
        check_minimum_wage(s, e),
        check_premiums(s, e, day_of),
        check_paid_in_money(s),
        check_arrears(s, today),
        check_paid_late(s),
        check_low_hourly_pay(s, e),
    ]
    return [f for f in found if f is not None] + check_deductions(s)


# ---------------------------------------------------------------------------------------------
# M7 working time and rest
# ---------------------------------------------------------------------------------------------
def longest_continuous_minutes(intervals: Sequence[tuple[datetime, datetime]], min_break_minutes: int) -> int:
    """The longest stretch of work where no gap between sessions reaches the required break."""
    longest, block_start, block_end = 0, None, None
    for start, end in sorted(intervals):
        if block_end is not None and (start - block_end) < timedelta(minutes=min_break_minutes):
            block_end = max(block_end, end)
        else:
            block_start, block_end = start, end
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
    return (policy("hours.statutory_daily_hours", on) + policy("hours.overtime.max_daily_hours", on)) * 60


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


@dataclass(frozen=True)
class WorkerDay:
    """A worker's day on one post: orders completed and working minutes."""

    worker_id: str
    orders: int
    minutes: int


def reaches_quota(day: WorkerDay, quota_orders: int, statutory_minutes: int) -> bool:
    """At the worker's own pace, are the quota's orders done within the statutory day?"""
    if day.orders >= quota_orders and day.minutes <= statutory_minutes:
        return True
    return day.minutes > 0 and day.orders * statutory_minutes >= quota_orders * day.minutes


@dataclass(frozen=True)
class QuotaResult:
    workers: int
    reaching: int
    finding: FindingSpec | None = field(default=None)


def check_quota(days: Sequence[WorkerDay], quota_orders: int, post: str, on: date) -> QuotaResult:
    """M7: the share of workers on a post who reach the quota within statutory hours must be ≥ 90 %."""
    statutory = policy("hours.statutory_daily_hours", on) * 60
    share = policy("rest.quota_achievable_share_percent", on)
    reaching = sum(1 for d in days if reaches_quota(d, quota_orders, statutory))
    if not days or reaching * 100 >= share * len(days):
        return QuotaResult(len(days), reaching)
    return QuotaResult(
        len(days),
        reaching,
        FindingSpec(
            "M7",
            "M7.quota_unreachable",
            Severity.medium,
            f"岗位 {post} 劳动定额 {quota_orders} 单/日：仅 {reaching}/{len(days)} 名劳动者可在法定工作时间内完成",
            {
                "post": post,
                "date": on.isoformat(),
                "quota_orders_per_day": quota_orders,
                "workers": len(days),
                "reaching": reaching,
                "required_share_percent": share,
            },
        ),
    )


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)


def _basis_zh(basis: str) -> str:
    return {"monthly": "月最低工资", "hourly": "小时最低工资"}.get(basis, basis)
