"""What every aggregate's rules share: the register of rule ids, the policy as of a fact's own date,
dates and the national calendar. The checks themselves live beside their aggregate, as pure functions
over plain data (no I/O): `statements/rules/` (M6 pay, M19, M20, collective standards on pay),
`sessions/rules.py` (M7 working time and rest), `quotas/rules.py` (M7 quotas, collective quotas),
`engagements/rules.py` (the agreed pay period and day); which collective contract binds a fact is
the kit's `newform_common.collective`.

Rejects return `InputError`s, findings return `FindingSpec`s; numbers come from
`get_policy().value(name, on=date)` by the fact's own date, never from literals. `RULES` lists
every rule id this service can emit (checked against the gateway's credit rules, routing and
scorecards). Money is integer fen, working time integer minutes; shares are compared as exact
fractions, so no rounding decides a finding.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

from newform_common import calendar as national_calendar
from newform_common.findings import FindingSpec as FindingSpec
from newform_common.findings import RuleDef as RuleDef
from newform_common.findings import Severity as Severity
from newform_common.findings import Violation as Violation
from newform_common.policy import MeasuresStatus, Policy, get_policy

from .collective import bad_weather as collective_bad_weather
from .safety import penalties as safety_penalties
from .safety import rules as safety_rules

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
    RuleDef(
        "M6.collective_piece_rate_below",
        "finding",
        "Average piece pay below the lowest piece rate the collective contract in force agrees (劳动合同法 art. 55)",
    ),
    RuleDef(
        "M7.collective_night_allowance_below",
        "finding",
        "Night allowance below night hours × the collective contract's agreed allowance (劳动合同法 art. 55)",
    ),
    RuleDef(
        "M7.collective_quota_above",
        "finding",
        "A labour quota above the one the collective contract in force agrees (劳动合同法 art. 55)",
    ),
    *safety_rules.RULES,
    *safety_penalties.RULES,
    *collective_bad_weather.RULES,
)

DayKind = Literal["statutory_holiday", "rest_day", "working_day"]
MINUTES_PER_DAY = 24 * 60
#: Bounds of plausible input (not policy): a statement spans at most a year, and is due within a year.
MAX_STATEMENT_DAYS = 366
PLAUSIBLE_YEARS = (1900, 2199)


_held_policy: ContextVar[Policy | None] = ContextVar("wages_held_policy", default=None)


@contextmanager
def one_policy() -> Iterator[None]:
    """Judge a whole batch under the policy loaded at its start (and skip the per-call look-up)."""
    token = _held_policy.set(get_policy())
    try:
        yield
    finally:
        _held_policy.reset(token)


def policy(name: str, on: date | datetime) -> Any:
    """The policy's value on a business date. Batches ask the same few (name, date) pairs thousands of
    times, so answers are remembered per loaded policy (a new policy object is a new cache)."""
    return policy_value(_held_policy.get() or get_policy(), name, on)


@lru_cache(maxsize=65536)
def policy_value(loaded: Policy, name: str, on: date | datetime) -> Any:
    """A value of the given loaded policy (the rules that cache per policy pass it in)."""
    return loaded.value(name, on=on)


@lru_cache(maxsize=4096)
def _measures_status(loaded: Policy, on: date) -> MeasuresStatus:
    return loaded.measures_status(on)


def loaded_policy() -> Policy:
    """The policy a batch holds (`one_policy`), else the one loaded now."""
    return _held_policy.get() or get_policy()


def measures_status(on: date) -> MeasuresStatus:
    """Which version of the measures applies on `on` (PolicyNotInForce before them or when none applies)."""
    return _measures_status(_held_policy.get() or get_policy(), on)


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


def calendar_day(day: date) -> national_calendar.Day:
    """The national calendar's answer for a date (any year; `provisional` when the year's schedule is not loaded)."""
    return national_calendar.day(day)


def day_kind(day: date) -> DayKind:
    return calendar_day(day).kind.value


def ceil_fen(value: Fraction) -> int:
    """An exact amount rounded up to whole fen (or minutes) for a finding's evidence."""
    return -(-value.numerator // value.denominator)
