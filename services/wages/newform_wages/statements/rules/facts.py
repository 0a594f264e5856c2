"""A pay statement as the rules see it, and the checks that refuse a line (nothing of it is stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ...rules import MAX_STATEMENT_DAYS, MINUTES_PER_DAY, PLAUSIBLE_YEARS, InputError


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
    piece_orders: int = 0
    night_allowance_fen: int = 0  # also inside allowances_fen: judged alone against a collective standard

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
