"""The process clock and the check every date the law counts from passes (DESIGN.md, "Legal judgement":
facts happen off-system; a date is data, never in the future)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from newform_common import clock
from newform_common.deadlines import Deadline
from newform_common.errors import PolicyViolation, Unprocessable
from newform_common.policy import business_date

from . import rules


def now() -> datetime:
    return clock.now()  # the one process clock (tests can stand on another day)


def today() -> date:
    return business_date(now())


def require_past(name: str, day: date) -> None:
    violation = rules.not_in_future(name, day, today())
    if violation:
        raise PolicyViolation(violation.detail, measure=violation.measure, rule=violation.rule)


def refuse_if(violation: rules.Violation | None) -> None:
    if violation:
        raise PolicyViolation(violation.detail, measure=violation.measure, rule=violation.rule)


def not_before(name: str, day: date, earliest: date, what: str) -> None:
    if day < earliest:
        raise Unprocessable(
            f"{name} {day.isoformat()} is before {what} {earliest.isoformat()}", slug="date-out-of-order"
        )


def last_day(clock: Deadline) -> date:
    """A period clock's last day: it is due at the end of that day, Asia/Shanghai (`deadlines.end_of_business_day`)."""
    return business_date(clock.due_at) - timedelta(days=1)
