"""The earlier holiday questions, answered by :mod:`newform_common.calendar` (kept while callers move).

`is_rest_day`/`is_working_day` raise :class:`HolidayCalendarNotAvailable` for a day whose answer
would be provisional (its year has no schedule): callers that can say "pending the schedule" ask
`calendar.day(d)` instead. Statutory holidays are answered for any year, by law.
"""

from __future__ import annotations

from datetime import date, datetime

from . import calendar

__all__ = ["HolidayCalendarError", "HolidayCalendarNotAvailable", "is_rest_day", "is_statutory_holiday",
           "is_working_day", "statutory_holidays"]


class HolidayCalendarError(Exception):
    """The holiday calendar cannot answer reliably."""


class HolidayCalendarNotAvailable(HolidayCalendarError, LookupError):
    """No State Council schedule is known for the year asked about."""


def _known(d: date | datetime) -> calendar.Day:
    answer = calendar.day(d)
    if answer.provisional:
        raise HolidayCalendarNotAvailable(
            f"no State Council holiday schedule for {answer.date.year} is loaded "
            "(newform calendar load FILE); ask newform_common.calendar.day for a provisional answer")
    return answer


def is_rest_day(d: date | datetime) -> bool:
    return _known(d).is_rest


def is_working_day(d: date | datetime) -> bool:
    return _known(d).is_working


is_statutory_holiday = calendar.is_statutory_holiday
statutory_holidays = calendar.statutory_holidays
