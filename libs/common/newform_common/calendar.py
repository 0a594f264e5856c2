"""The calendar every legal period and premium asks: working days, rest days and statutory holidays,
for any year, in three layers, each with its source.

1. **Statutory holidays, by law, for any year** (全国年节及纪念日放假办法, revised 2024 by 国务院令第795号,
   in force 2025-01-01: 13 days; 11 before): fixed Gregorian days, 清明 and three lunar days, as the
   `holidays` package derives them for any year. Work on these days is owed 300 % (劳动法 art. 44(3))
   whatever the yearly schedule says: they are never provisional.
2. **The State Council's yearly schedule** (调休: which days of a holiday week are rest days, which
   weekend days are working days), published each autumn for the next year. Years 2004–2026 come
   with `chinesecalendar` (bundled); a new year is *loaded* as data without a release
   (`newform calendar load FILE` or the gateway's `PUT /v1/calendar/schedules/{year}`), validated by
   :func:`parse_schedule`, stored in every service's `calendar_schedules` table and installed here
   (:func:`install`). A loaded year wins over the bundled one.
3. **A year with no schedule yet**: statutory days are rest days, weekends rest days, every other day
   a working day — and every answer that rests on the missing schedule says so (`provisional`). When
   the year's schedule arrives, provisional deadlines are recomputed (``deadlines.recompute``) and
   pending premium questions judged again by the services.

Legal periods are counted by one function, :func:`period_end`: from the day after the start, in
calendar days or working days; a period whose last day is a rest day or holiday ends on the first
working day after it (民法典 art. 203; 劳动人事争议仲裁办案规则 (人社部令第33号) on periods). This module never
raises for a year: no request fails because a year is missing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final, Literal

import chinese_calendar
import holidays as holidays_package

from . import clock
from .policy import business_date

__all__ = [
    "CALENDAR_DAYS",
    "WORKING_DAYS",
    "Day",
    "DayKind",
    "PeriodEnd",
    "Schedule",
    "ScheduleInvalid",
    "coverage",
    "day",
    "install",
    "installed",
    "is_statutory_holiday",
    "parse_schedule",
    "period_end",
    "schedule",
    "schedule_known",
    "statutory_holidays",
]

CALENDAR_DAYS: Final = "calendar_days"
WORKING_DAYS: Final = "working_days"
PeriodUnit = Literal["calendar_days", "working_days"]

STATUTORY_SOURCE = "全国年节及纪念日放假办法（2024年修订，国务院令第795号，2025-01-01施行）"
BUNDLED_SOURCE = "国务院办公厅关于{year}年部分节假日安排的通知（chinesecalendar {version} 收录）"
PROVISIONAL_REASON = "{year}年国务院节假日安排尚未载入：只按周末和法定节假日计算，载入后重新计算"


class DayKind(enum.StrEnum):
    working_day = "working_day"
    rest_day = "rest_day"
    statutory_holiday = "statutory_holiday"


@dataclass(frozen=True)
class Day:
    """What a date is. `provisional`: its year has no schedule yet, so a weekday may still become a
    rest day and a weekend day a working day (never for a statutory holiday, which is law)."""

    date: date
    kind: DayKind
    provisional: bool

    @property
    def is_working(self) -> bool:
        return self.kind is DayKind.working_day

    @property
    def is_rest(self) -> bool:
        return self.kind is not DayKind.working_day

    @property
    def is_statutory_holiday(self) -> bool:
        return self.kind is DayKind.statutory_holiday


@dataclass(frozen=True)
class Schedule:
    """The State Council's schedule of one year: its rest days beyond ordinary weekends (the holiday
    weeks, statutory days included) and its weekend days made working days."""

    year: int
    rest_days: frozenset[date]
    working_days: frozenset[date]
    source: str
    published_on: date | None = None
    origin: Literal["bundled", "loaded"] = "bundled"
    loaded_by: str | None = None
    loaded_at: datetime | None = None

    def as_document(self) -> dict[str, Any]:
        """The file/API form (what `parse_schedule` reads)."""
        return {
            "year": self.year,
            "source": self.source,
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "rest_days": sorted(d.isoformat() for d in self.rest_days),
            "working_days": sorted(d.isoformat() for d in self.working_days),
        }


class ScheduleInvalid(ValueError):
    """A schedule file that cannot be the State Council's: every problem found, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Layer 1: statutory holidays, by law
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of `year` (法定节假日 themselves, not the rest of a holiday week).

    From the `holidays` package's China calendar: its days named for a festival, without the days it
    adds as "observed" or "day off (substituted …)" — those are schedule, not law."""
    china = holidays_package.country_holidays("CN", years=year)
    return frozenset(
        d for d, name in china.items() if d.year == year and "observed" not in name and not name.startswith("Day off")
    )


def is_statutory_holiday(d: date | datetime) -> bool:
    """By law, for any year: work on it is owed 300 % (劳动法 art. 44(3))."""
    day_ = business_date(d)
    return day_ in statutory_holidays(day_.year)


# ---------------------------------------------------------------------------------------------
# Layer 2: the yearly schedules — bundled (chinesecalendar) and loaded (data)
# ---------------------------------------------------------------------------------------------
_loaded: dict[int, Schedule] = {}


def install(schedules: Iterable[Schedule]) -> None:
    """Make loaded schedules answer here (a service calls it at start and whenever one is loaded)."""
    for s in schedules:
        _loaded[s.year] = s


def installed() -> dict[int, Schedule]:
    """The loaded schedules this process knows (tests save and restore it)."""
    return dict(_loaded)


def reset(schedules: Mapping[int, Schedule] | None = None) -> None:
    """Forget loaded schedules (or restore a saved set): for tests and a rebuild."""
    _loaded.clear()
    _loaded.update(schedules or {})


@lru_cache(maxsize=1)
def _bundled_years() -> range:
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


@lru_cache(maxsize=64)
def _bundled(year: int) -> Schedule | None:
    if year not in _bundled_years():
        return None
    rest = frozenset(d for d in chinese_calendar.holidays if d.year == year)
    working = frozenset(d for d in chinese_calendar.workdays if d.year == year)
    return Schedule(
        year=year,
        rest_days=rest,
        working_days=working,
        source=BUNDLED_SOURCE.format(year=year, version=getattr(chinese_calendar, "__version__", "?")),
    )


def schedule(year: int) -> Schedule | None:
    """The schedule of `year`: loaded, else bundled, else None (layer 3 then answers)."""
    return _loaded.get(year) or _bundled(year)


def schedule_known(year: int) -> bool:
    return schedule(year) is not None


def day(d: date | datetime) -> Day:
    """What `d` is (an aware datetime is taken as its Asia/Shanghai date). Never raises."""
    on = business_date(d)
    if on in statutory_holidays(on.year):
        return Day(on, DayKind.statutory_holiday, provisional=False)
    sched = schedule(on.year)
    weekend = on.weekday() >= 5
    if sched is None:
        return Day(on, DayKind.rest_day if weekend else DayKind.working_day, provisional=True)
    if on in sched.working_days:
        return Day(on, DayKind.working_day, provisional=False)
    rest = weekend or on in sched.rest_days
    return Day(on, DayKind.rest_day if rest else DayKind.working_day, provisional=False)


def coverage(today: date | None = None) -> tuple[date, int]:
    """The last day the known schedules cover without a gap from today, and the days left until it."""
    today = today or clock.today()
    year = today.year
    while schedule_known(year):
        year += 1
    last = date(year - 1, 12, 31) if year > today.year else today - timedelta(days=1)
    return last, (last - today).days


# ---------------------------------------------------------------------------------------------
# Legal periods
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodEnd:
    """The last day of a period and whether it rests on a year without its schedule."""

    last_day: date
    provisional: bool
    start: date
    days: int
    unit: PeriodUnit = CALENDAR_DAYS
    provisional_years: tuple[int, ...] = field(default=())

    @property
    def reason(self) -> str | None:
        if not self.provisional:
            return None
        return "；".join(PROVISIONAL_REASON.format(year=y) for y in self.provisional_years)

    def as_data(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "days": self.days, "unit": self.unit}


def period_end(start: date, days: int, unit: PeriodUnit = CALENDAR_DAYS) -> PeriodEnd:
    """The last day of a period of `days` counted from the day after `start`.

    Calendar days: start + days, moved to the first working day after it when it is a rest day or a
    holiday (民法典 art. 203). Working days: the `days`-th working day after `start`. Provisional
    when any day this looked at lies in a year without its schedule."""
    if days < 0:
        raise ValueError("a period has no negative length")
    if unit not in (CALENDAR_DAYS, WORKING_DAYS):
        raise ValueError(f"unknown period unit {unit!r}")
    looked: list[Day] = []
    if unit == WORKING_DAYS:
        on, left = start, days
        while left > 0:
            on += timedelta(days=1)
            looked.append(d := day(on))
            if d.is_working:
                left -= 1
    else:
        on = start + timedelta(days=days)
        looked.append(d := day(on))
        while d.is_rest and days > 0:
            on += timedelta(days=1)
            looked.append(d := day(on))
    years = tuple(sorted({d.date.year for d in looked if d.provisional}))
    return PeriodEnd(last_day=on, provisional=bool(years), start=start, days=days, unit=unit, provisional_years=years)


# ---------------------------------------------------------------------------------------------
# Loading a year: the file/API form and its checks
# ---------------------------------------------------------------------------------------------
def parse_schedule(document: Mapping[str, Any], *, year: int | None = None) -> Schedule:
    """A schedule from its file/API form, or :class:`ScheduleInvalid` with every problem found.

    Checks: the year is a year; every date is an ISO date of that year; no date twice (within or
    across the lists); every statutory holiday of the year is a rest day; working days are weekend
    days (a weekday needs no listing); rest days are not ordinary weekend days only (a schedule with
    no holiday week is not a schedule); the source is named."""
    problems: list[str] = []
    raw_year = document.get("year", year)
    if not isinstance(raw_year, int) or not 1949 < raw_year < 2200:
        raise ScheduleInvalid([f"year must be a year, not {raw_year!r}"])
    if year is not None and raw_year != year:
        raise ScheduleInvalid([f"the file is for {raw_year}, not {year}"])
    source = document.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append("source must name the State Council's notice (e.g. 国办发明电〔2026〕N号)")
    published_on = None
    if document.get("published_on") not in (None, ""):
        try:
            published_on = date.fromisoformat(str(document["published_on"]))
        except ValueError:
            problems.append(f"published_on {document['published_on']!r} is not a date")
        else:
            if published_on > clock.today():
                problems.append(f"published_on {published_on} lies in the future")

    def dates(name: str) -> list[date]:
        values = document.get(name, [])
        if not isinstance(values, list):
            problems.append(f"{name} must be a list of dates")
            return []
        out: list[date] = []
        for v in values:
            try:
                d = date.fromisoformat(str(v))
            except ValueError:
                problems.append(f"{name}: {v!r} is not a date (YYYY-MM-DD)")
                continue
            if d.year != raw_year:
                problems.append(f"{name}: {d} is not in {raw_year}")
            out.append(d)
        return out

    rest, working = dates("rest_days"), dates("working_days")
    seen: set[date] = set()
    for d in rest + working:
        if d in seen:
            problems.append(f"{d} is listed twice")
        seen.add(d)
    rest_set, working_set = frozenset(rest), frozenset(working)
    for d in sorted(statutory_holidays(raw_year)):
        if d not in rest_set:
            problems.append(f"{d} is a statutory holiday by law and must be a rest day")
    for d in sorted(working_set):
        if d.weekday() < 5:
            problems.append(f"working_days: {d} is a weekday (only weekend days are swapped to working days)")
    if rest_set and all(d.weekday() >= 5 for d in rest_set):
        problems.append("rest_days holds only weekend days: the holiday weeks are missing")
    if problems:
        raise ScheduleInvalid(problems)
    assert isinstance(source, str)  # no problems: source passed its check above
    return Schedule(
        year=raw_year,
        rest_days=rest_set,
        working_days=working_set,
        source=source.strip(),
        published_on=published_on,
        origin="loaded",
    )
