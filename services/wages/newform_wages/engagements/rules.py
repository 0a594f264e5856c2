"""The engagement as the rules see it, and its agreed pay period and pay day (pure functions, no I/O).

Sources: 工资支付暂行规定 art. 7 (wages on the agreed day, at least monthly) and art. 9 (paid at once
when employment ends); the measures item 6 (按约定时间足额支付). The agreed pay day is data on the
contract (contracts' `terms.pay_schedule`)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..rules import add_months, policy


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
    pay_schedule: dict[str, Any] | None = None  # the agreed pay period and pay day (contracts' terms.pay_schedule)
    hours_arrangement: str | None = None  # standard | comprehensive | flexible | part_time (None: not said)

    @property
    def labour_relationship(self) -> bool:
        return self.engagement_type == "labor_contract"

    @property
    def basis_key(self) -> str:
        return "labor_contract_part_time" if self.labour_relationship and self.part_time else self.engagement_type


def pay_period_of(pay_period: str, schedule: dict[str, Any] | None, day: date) -> tuple[date, date]:
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


def agreed_pay_day(schedule: dict[str, Any] | None, period_end: date) -> date | None:
    """The pay day agreed in the contract for the period ending `period_end` (None when none is agreed).

    工资支付暂行规定 art. 7 and the measures item 6 (按约定时间足额支付): wages are due on the agreed day;
    a month shorter than the agreed day of the month pays on its last day."""
    if not schedule:
        return None
    if schedule.get("period") == "month":
        month = add_months(period_end.replace(day=1), schedule.get("month_offset", 1))
        return month.replace(day=min(schedule["day_of_month"], calendar.monthrange(month.year, month.month)[1]))
    return period_end + timedelta(days=schedule.get("days_after_period_end") or 0)


def pay_due_date(schedule: dict[str, Any] | None, period_end: date) -> date:
    """The agreed pay day, else the policy's default days after the period's end."""
    return agreed_pay_day(schedule, period_end) or period_end + timedelta(
        days=policy("wages.pay_due_days_after_period_end", period_end)
    )


def period_containing(engagement: Mapping[str, Any], day: date) -> tuple[date, date]:
    """The pay period of `day`: the agreed pay month (a calendar month when none is agreed), ISO week, or
    the day itself (hourly and daily pay), within the engagement's term."""
    start, end = pay_period_of(engagement["pay_period"], engagement.get("pay_schedule"), day)
    start = max(start, engagement["start_date"])
    if engagement["end_date"] is not None:
        end = min(end, engagement["end_date"])
    return start, end


def period_due_date(engagement: Mapping[str, Any], period_end: date) -> date:
    """The agreed pay day of the period (工资支付暂行规定 art. 7), else the policy's default after its end."""
    schedule = engagement.get("pay_schedule")
    _, full_end = pay_period_of(engagement["pay_period"], schedule, period_end)
    due = pay_due_date(schedule, full_end if schedule else period_end)
    if engagement["end_date"] is not None and period_end >= engagement["end_date"]:
        due = min(due, max(engagement["end_date"], period_end))  # paid at once when it ends (art. 9)
    return due


def pay_month_schedule(engagement: Mapping[str, Any]) -> dict[str, Any] | None:
    """The agreed schedule when it pays by the month (its pay month may start on another day than the 1st)."""
    schedule = engagement.get("pay_schedule")
    return schedule if schedule and schedule.get("period") == "month" else None


def engagement_of(row: dict[str, Any]) -> Engagement:
    """The rules' view of an engagement row, built once per row (a batch has several lines per engagement)."""
    engagement = row.get("_rules")
    if engagement is None:
        engagement = row["_rules"] = _engagement_of(row)
    return engagement


def _engagement_of(row: dict[str, Any]) -> Engagement:
    return Engagement(
        row["contract_id"],
        row["worker_id"],
        row["platform_id"],
        row["enterprise_id"],
        row["engagement_type"],
        row["part_time"],
        row["occupation"],
        row["district"],
        row["start_date"],
        row["end_date"],
        row["pay_period"],
        row.get("pay_schedule"),
        row.get("hours_arrangement"),
    )
