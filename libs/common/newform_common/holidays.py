"""China's statutory holidays and rest days, from the maintained ``chinesecalendar`` package.

Two questions, two functions (dates are Asia/Shanghai business dates; an aware datetime is
converted first, a naive one is rejected):

* :func:`is_rest_day` — nobody is scheduled to work that day under the national calendar: a
  Saturday/Sunday that is not a swapped working day (调休上班), or any day of an official holiday
  period. ``2024-09-29`` (a Sunday made a working day) is *not* a rest day.
* :func:`is_statutory_holiday` — the day is one of the statutory holidays themselves
  (法定节假日, 全国年节及纪念日放假办法), on which work is paid at least 300 % (劳动法 art. 44).
  This is *narrower* than "a day of a holiday period": of the National Day week 2024-10-01..07
  only 10-01..03 are statutory; 10-04 and 10-07 are swapped rest days and 10-05/06 the weekend,
  where work is rest-day work (200 %).

The package gives the holiday periods and swapped days the State Council publishes each year, but
does not say which days of a period are the statutory ones. Those follow from the rules of
全国年节及纪念日放假办法 (below): fixed Gregorian days, the 清明 solar term (from the package),
and three lunar-calendar days (Spring Festival, Dragon Boat, Mid-Autumn), computed here from
astronomical new moons (Meeus, *Astronomical Algorithms*, ch. 49) and the package's solar terms.
Every statutory day computed this way is checked to lie inside the package's published holiday
period of the same festival; if it does not, :class:`HolidayCalendarError` is raised rather than
a guess returned.

Years the package does not cover are answered from the policy's override table
(``holidays.overrides``: year -> ``{statutory, rest_days, working_days}`` as ``"MM-DD"`` lists, from
the State Council's yearly notice) when it has the year; otherwise they raise
:class:`HolidayCalendarNotAvailable` (upgrade ``chinesecalendar``, or add the year to the table).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar

from .policy import business_date, get_policy

__all__ = [
    "HolidayCalendarError",
    "HolidayCalendarNotAvailable",
    "covered_years",
    "holiday_name",
    "is_rest_day",
    "is_statutory_holiday",
    "is_working_day",
    "statutory_holidays",
]


class HolidayCalendarError(Exception):
    """The holiday calendar cannot answer reliably."""


class HolidayCalendarNotAvailable(HolidayCalendarError, LookupError):
    """The ``chinesecalendar`` package has no data for the year asked about."""


@lru_cache(maxsize=1)
def covered_years() -> range:
    """The years for which the installed ``chinesecalendar`` publishes holiday schedules."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def _override(year: int) -> dict[str, frozenset[date]] | None:
    """The policy's schedule for a year the package does not cover (None if the table lacks it)."""
    try:
        table = get_policy().value("holidays.overrides", date(year, 1, 1))
    except LookupError:
        return None
    entry = table.get(str(year))
    if entry is None:
        return None
    try:
        return {kind: frozenset(date(year, int(md[:2]), int(md[3:5])) for md in entry.get(kind, ()))
                for kind in ("statutory", "rest_days", "working_days")}
    except (TypeError, ValueError) as exc:
        raise HolidayCalendarError(f"holidays.overrides[{year}] is malformed: {exc}") from exc


def _check_year(d: date) -> dict[str, frozenset[date]] | None:
    """None when the package covers the year; the override when the policy's table has it; else raise."""
    years = covered_years()
    if d.year in years:
        return None
    override = _override(d.year)
    if override is None:
        raise HolidayCalendarNotAvailable(
            f"no official holiday calendar for {d.year} in chinesecalendar "
            f"{getattr(chinese_calendar, '__version__', '?')} (covers {years.start}..{years.stop - 1}) nor in the "
            "policy's holidays.overrides; upgrade the package or add the State Council's schedule to the table"
        )
    return override


def is_rest_day(d: date | datetime) -> bool:
    """True if ``d`` is not a working day under the national calendar (weekend or holiday period)."""
    day = business_date(d)
    override = _check_year(day)
    if override is not None:
        if day in override["working_days"]:
            return False
        return day in override["statutory"] or day in override["rest_days"] or day.weekday() >= 5
    return bool(chinese_calendar.is_holiday(day))


def is_working_day(d: date | datetime) -> bool:
    """True if ``d`` is a working day (including a weekend day swapped to a working day)."""
    return not is_rest_day(d)


def holiday_name(d: date | datetime) -> str | None:
    """The English name of the official holiday period ``d`` belongs to as a rest day, else None."""
    day = business_date(d)
    override = _check_year(day)
    if override is not None:  # the table gives days, not names
        return "official holiday" if day in override["statutory"] | override["rest_days"] else None
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return name if on_holiday else None


def is_statutory_holiday(d: date | datetime) -> bool:
    """True if ``d`` is a statutory holiday (法定节假日) itself; see the module docstring."""
    day = business_date(d)
    return day in statutory_holidays(day.year)


# ---------------------------------------------------------------------------------------------
# The statutory days of a year (全国年节及纪念日放假办法, revisions of 2007, 2013 and 2024)
# ---------------------------------------------------------------------------------------------
_NEW_YEAR = "New Year's Day"
_SPRING = "Spring Festival"
_TOMB = "Tomb-sweeping Day"
_LABOUR = "Labour Day"
_DRAGON = "Dragon Boat Festival"
_NATIONAL = "National Day"
_MID_AUTUMN = "Mid-autumn Festival"


def statutory_holidays(year: int) -> frozenset[date]:
    """Every statutory holiday day of ``year``, checked against the package's holiday periods (or,
    for a year the package lacks, from the policy's override table)."""
    override = _check_year(date(year, 1, 1))
    if override is not None:
        return override["statutory"]
    return _computed_statutory_holidays(year)


@lru_cache(maxsize=64)
def _computed_statutory_holidays(year: int) -> frozenset[date]:
    days: dict[date, str] = {date(year, 1, 1): _NEW_YEAR}
    for i in range(3):
        days[date(year, 10, 1) + timedelta(days=i)] = _NATIONAL

    lunar_new_year = _lunar_day(year, 1, 1)
    if year >= 2025:  # 2024 revision (国务院令第795号): 除夕 + 初一..初三; 劳动节 May 1-2
        spring = [lunar_new_year + timedelta(days=i) for i in range(-1, 3)]
        labour = [date(year, 5, 1), date(year, 5, 2)]
    elif year >= 2014:  # 2013 revision: 初一..初三; 劳动节 May 1
        spring = [lunar_new_year + timedelta(days=i) for i in range(3)]
        labour = [date(year, 5, 1)]
    elif year >= 2008:  # 2007 revision: 除夕, 初一, 初二; 劳动节 May 1
        spring = [lunar_new_year + timedelta(days=i) for i in range(-1, 2)]
        labour = [date(year, 5, 1)]
    else:  # 1999 rules: 初一..初三; 劳动节 May 1-3; no 清明/端午/中秋 holiday
        spring = [lunar_new_year + timedelta(days=i) for i in range(3)]
        labour = [date(year, 5, 1) + timedelta(days=i) for i in range(3)]
    days.update(dict.fromkeys(spring, _SPRING))
    days.update(dict.fromkeys(labour, _LABOUR))
    if year >= 2008:
        (qingming,) = [t for t, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
                       if name == "清明"]
        days[qingming] = _TOMB
        days[_lunar_day(year, 5, 5)] = _DRAGON
        days.setdefault(_lunar_day(year, 8, 15), _MID_AUTUMN)  # may coincide with National Day
    # one-off national holidays decided by the State Council, as the package records them
    for day, name in chinese_calendar.holidays.items():
        if (
            day.year == year
            and name not in {_NEW_YEAR, _SPRING, _TOMB, _LABOUR, _DRAGON, _NATIONAL, _MID_AUTUMN}
            and not chinese_calendar.is_in_lieu(day)
        ):
            days.setdefault(day, name)

    for day, name in days.items():
        if not _published_as(day, name):
            published = chinese_calendar.holidays.get(day)
            raise HolidayCalendarError(
                f"computed statutory holiday {day} ({name}) is not in the published {year} holiday "
                f"periods of chinesecalendar (found {published!r}); refusing to guess"
            )
    return frozenset(days)


def _published_as(day: date, name: str) -> bool:
    """Does the package's published schedule make ``day`` a rest day of festival ``name``?

    The package lists weekend days of a holiday period only sometimes (2012-06-23, a Saturday and
    the Dragon Boat Festival itself, is missing), so a weekend rest day counts when a day of the
    same festival is published within three days of it.
    """
    names = {name} | ({_NATIONAL, _MID_AUTUMN} if name in {_NATIONAL, _MID_AUTUMN} else set())
    if not chinese_calendar.is_holiday(day):
        return False
    if chinese_calendar.holidays.get(day) in names:
        return True
    if day.weekday() < 5 or day in chinese_calendar.holidays:
        return False
    near = (day + timedelta(days=i) for i in range(-3, 4))
    return any(chinese_calendar.holidays.get(n) in names for n in near)


# ---------------------------------------------------------------------------------------------
# Lunar calendar: new moons (Meeus ch. 49) + principal solar terms (from chinesecalendar)
# ---------------------------------------------------------------------------------------------
_PRINCIPAL_TERMS = {"雨水", "春分", "谷雨", "小满", "夏至", "大暑", "处暑", "秋分", "霜降", "小雪", "冬至", "大寒"}
_UNIX_EPOCH_JD = 2440587.5
_DELTA_T_DAYS = 69.0 / 86400.0  # TT - UT, ~69 s for 2000-2030: far below the day resolution needed


def _new_moon_jde(k: int) -> float:
    """Julian Ephemeris Day of mean-lunation ``k``'s true new moon (k=0: 2000-01-06)."""
    t = k / 1236.85
    jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t**2 - 0.000000150 * t**3 + 0.00000000073 * t**4
    e = 1 - 0.002516 * t - 0.0000074 * t**2
    r = math.radians
    m = r(2.5534 + 29.10535670 * k - 0.0000014 * t**2 - 0.00000011 * t**3)
    mp = r(201.5643 + 385.81693528 * k + 0.0107582 * t**2 + 0.00001238 * t**3 - 0.000000058 * t**4)
    f = r(160.7108 + 390.67050284 * k - 0.0016118 * t**2 - 0.00000227 * t**3 + 0.000000011 * t**4)
    om = r(124.7746 - 1.56375588 * k + 0.0020672 * t**2 + 0.00000215 * t**3)
    s = math.sin
    corr = (
        -0.40720 * s(mp) + 0.17241 * e * s(m) + 0.01608 * s(2 * mp) + 0.01039 * s(2 * f)
        + 0.00739 * e * s(mp - m) - 0.00514 * e * s(mp + m) + 0.00208 * e * e * s(2 * m)
        - 0.00111 * s(mp - 2 * f) - 0.00057 * s(mp + 2 * f) + 0.00056 * e * s(2 * mp + m)
        - 0.00042 * s(3 * mp) + 0.00042 * e * s(m + 2 * f) + 0.00038 * e * s(m - 2 * f)
        - 0.00024 * e * s(2 * mp - m) - 0.00017 * s(om) - 0.00007 * s(mp + 2 * m)
        + 0.00004 * s(2 * mp - 2 * f) + 0.00004 * s(3 * m) + 0.00003 * s(mp + m - 2 * f)
        + 0.00003 * s(2 * mp + 2 * f) - 0.00003 * s(mp + m + 2 * f) + 0.00003 * s(mp - m + 2 * f)
        - 0.00002 * s(mp - m - 2 * f) - 0.00002 * s(3 * mp + m) + 0.00002 * s(4 * mp)
    )
    planetary = (
        (0.000325, 299.77 + 0.107408 * k - 0.009173 * t**2), (0.000165, 251.88 + 0.016321 * k),
        (0.000164, 251.83 + 26.651886 * k), (0.000126, 349.42 + 36.412478 * k),
        (0.000110, 84.66 + 18.206239 * k), (0.000062, 141.74 + 53.303771 * k),
        (0.000060, 207.14 + 2.453732 * k), (0.000056, 154.84 + 7.306860 * k),
        (0.000047, 34.52 + 27.261239 * k), (0.000042, 207.19 + 0.121824 * k),
        (0.000040, 291.34 + 1.844379 * k), (0.000037, 161.72 + 24.198154 * k),
        (0.000035, 239.56 + 25.513099 * k), (0.000023, 331.55 + 3.592518 * k),
    )
    return jde + corr + sum(c * s(r(a)) for c, a in planetary)


def _beijing_date(jde: float) -> date:
    jd_ut = jde - _DELTA_T_DAYS
    return date(1970, 1, 1) + timedelta(days=math.floor(jd_ut - _UNIX_EPOCH_JD + 8 / 24))


def _new_moons(start: date, end: date) -> list[date]:
    """Beijing dates of the new moons in ``start .. end``."""
    k = math.floor((start - date(2000, 1, 6)).days / 29.530588861) - 1
    out: list[date] = []
    while True:
        d = _beijing_date(_new_moon_jde(k))
        if d > end:
            return out
        if d >= start:
            out.append(d)
        k += 1


def _winter_solstice(year: int) -> date:
    (ws,) = [t for t, name in chinese_calendar.get_solar_terms(date(year, 12, 1), date(year, 12, 31)) if name == "冬至"]
    return ws


@lru_cache(maxsize=64)
def _lunar_months(year: int) -> tuple[tuple[int, bool, date], ...]:
    """(month number, is leap, first day) of the lunar months from month 11 before ``year``'s
    winter solstice of ``year - 1`` to the month containing ``year``'s winter solstice (excl.)."""
    ws0, ws1 = _winter_solstice(year - 1), _winter_solstice(year)
    moons = _new_moons(ws0 - timedelta(days=31), ws1 + timedelta(days=31))
    m11_0 = max(d for d in moons if d <= ws0)
    m11_1 = max(d for d in moons if d <= ws1)
    starts = [d for d in moons if m11_0 <= d <= m11_1]  # includes the next month 11's start
    principal = {t for t, name in chinese_calendar.get_solar_terms(ws0, ws1) if name in _PRINCIPAL_TERMS}
    leap_index = None
    if len(starts) - 1 == 13:
        for i in range(1, 13):
            if not any(starts[i] <= t < starts[i + 1] for t in principal):
                leap_index = i
                break
    months: list[tuple[int, bool, date]] = []
    number = 10
    for i, first in enumerate(starts[:-1]):
        leap = i == leap_index
        if not leap:
            number = number % 12 + 1
        months.append((number, leap, first))
    return tuple(months)


def _lunar_day(year: int, month: int, day: int) -> date:
    """The Gregorian date of lunar ``month``/``day`` (regular, not leap month) of lunar year ``year``."""
    months = _lunar_months(year)
    # months run 11, 12, 1, ..., 10 (plus a possible leap month); take the first regular ``month``
    # after the new year (month 11/12 of this list belong to the previous lunar year)
    seen_new_year = False
    for number, leap, first in months:
        if number == 1 and not leap:
            seen_new_year = True
        if seen_new_year and number == month and not leap:
            return first + timedelta(days=day - 1)
    raise HolidayCalendarError(f"lunar month {month} of {year} not found")
