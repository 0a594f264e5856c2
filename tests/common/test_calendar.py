"""The calendar's three layers and the one period rule, without I/O (newform_common.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from newform_common import calendar, clock
from newform_local.cli import main as newform


@pytest.fixture(autouse=True)
def no_loaded_years():
    saved = calendar.installed()
    calendar.reset()
    yield
    calendar.reset(saved)


def test_national_day_2024_from_the_bundled_schedule():
    assert calendar.day(date(2024, 10, 1)).kind is calendar.DayKind.statutory_holiday
    sunday_at_work = calendar.day(date(2024, 9, 29))  # a Sunday made a working day (调休)
    assert sunday_at_work.is_working and not sunday_at_work.provisional
    for d in (date(2024, 10, 4), date(2024, 10, 5)):  # rest days of the week, not statutory holidays
        assert calendar.day(d).kind is calendar.DayKind.rest_day
    assert calendar.day(date(2024, 6, 1)).is_rest  # an ordinary Saturday
    assert calendar.day(date(2024, 6, 3)).is_working


def test_statutory_days_follow_each_revision_of_the_law():
    assert sorted(d for d in calendar.statutory_holidays(2024) if d.month == 2) == [
        date(2024, 2, 10),
        date(2024, 2, 11),
        date(2024, 2, 12),
    ]  # 2013 revision: 初一..初三
    assert sorted(d for d in calendar.statutory_holidays(2025) if d.month in (1, 2)) == [
        date(2025, 1, 1),
        date(2025, 1, 28),
        date(2025, 1, 29),
        date(2025, 1, 30),
        date(2025, 1, 31),
    ]
    assert calendar.is_statutory_holiday(date(2025, 5, 2)) and not calendar.is_statutory_holiday(date(2024, 5, 2))
    assert calendar.is_statutory_holiday(date(2022, 9, 10))  # Mid-Autumn on a Saturday
    assert not calendar.is_statutory_holiday(date(2022, 9, 12))  # its make-up day off
    assert calendar.is_statutory_holiday(date(2025, 10, 6))  # Mid-Autumn inside the National Day week
    assert {y: len(calendar.statutory_holidays(y)) for y in (2024, 2025, 2026, 2027, 2040)} == {
        2024: 11,
        2025: 13,
        2026: 13,
        2027: 13,
        2040: 13,
    }


def test_every_statutory_day_is_a_rest_day_of_every_bundled_schedule():
    """The law's days (holidays package) and the State Council's weeks (chinesecalendar) agree."""
    for year in range(2008, 2027):
        for d in calendar.statutory_holidays(year):
            assert calendar.day(d).is_rest and not calendar.day(d).provisional, d


def test_a_year_without_schedule_answers_provisionally_and_never_raises():
    assert not calendar.schedule_known(2027)
    spring_weekday = calendar.day(date(2027, 2, 9))  # a weekday of the Spring Festival week
    assert spring_weekday.is_working and spring_weekday.provisional
    assert calendar.day(date(2027, 2, 13)).is_rest and calendar.day(date(2027, 2, 13)).provisional
    statutory = calendar.day(date(2027, 2, 6))
    assert statutory.is_statutory_holiday and not statutory.provisional  # law, schedule or not
    for year in (2030, 2099):
        calendar.day(date(year, 6, 1))


def test_dates_are_asia_shanghai_and_naive_datetimes_are_refused():
    utc_evening = datetime(2024, 9, 30, 17, 0, tzinfo=UTC)  # 2024-10-01 01:00 in Shanghai
    assert calendar.is_statutory_holiday(utc_evening)
    assert calendar.day(datetime(2024, 10, 1, 9, tzinfo=timezone(timedelta(hours=8)))).is_statutory_holiday
    with pytest.raises(ValueError):
        calendar.day(datetime(2024, 10, 1, 9))


def test_a_calendar_day_period_ending_on_a_rest_day_ends_on_the_next_working_day():
    assert calendar.period_end(date(2025, 8, 18), 45).last_day == date(2025, 10, 9)  # CAL-5
    assert calendar.period_end(date(2025, 9, 26), 5).last_day == date(2025, 10, 9)  # CAL-6
    ordinary = calendar.period_end(date(2025, 6, 2), 3)
    assert ordinary.last_day == date(2025, 6, 5) and not ordinary.provisional
    assert calendar.period_end(date(2025, 6, 4), 3).last_day == date(2025, 6, 9)  # Saturday → Monday


def test_working_day_periods_and_provisional_years():
    spring = calendar.period_end(date(2027, 2, 4), 3, calendar.WORKING_DAYS)  # the week's weekdays unknown
    assert spring.last_day == date(2027, 2, 11) and spring.provisional
    end = calendar.period_end(date(2026, 12, 29), 3, calendar.WORKING_DAYS)  # CAL-4
    assert end.last_day == date(2027, 1, 4) and end.provisional and end.provisional_years == (2027,)
    assert "2027" in end.reason
    inside = calendar.period_end(date(2026, 12, 1), 3, calendar.WORKING_DAYS)
    assert inside.last_day == date(2026, 12, 4) and not inside.provisional and inside.reason is None
    with pytest.raises(ValueError):
        calendar.period_end(date(2026, 12, 1), -1)


def schedule_2027(**changes) -> dict:
    """A 2027 schedule as the State Council might publish it (a test document, not the real notice)."""
    doc = {
        "year": 2027,
        "source": "国办发明电〔2026〕测试号",
        "published_on": "2026-11-10",
        "rest_days": [
            "2027-01-01",
            "2027-01-02",
            "2027-01-03",
            *[f"2027-02-{d:02d}" for d in range(5, 12)],
            "2027-04-03",
            "2027-04-04",
            "2027-04-05",
            *[f"2027-05-{d:02d}" for d in range(1, 6)],
            "2027-06-09",
            "2027-09-15",
            *[f"2027-10-{d:02d}" for d in range(1, 8)],
        ],
        "working_days": ["2027-02-13", "2027-02-20", "2027-04-25", "2027-09-18", "2027-10-09"],
    }
    return {**doc, **changes}


def test_a_loaded_year_answers_and_makes_periods_definitive():
    schedule = calendar.parse_schedule(schedule_2027())
    calendar.install([schedule])
    assert calendar.day(date(2027, 2, 9)).kind is calendar.DayKind.rest_day  # in the holiday week
    assert calendar.day(date(2027, 2, 13)).is_working  # a Saturday swapped to a working day
    end = calendar.period_end(date(2026, 12, 29), 3, calendar.WORKING_DAYS)
    assert end.last_day == date(2027, 1, 4) and not end.provisional  # 12-30, 12-31, (01-01..03 off) 01-04
    spring = calendar.period_end(date(2027, 2, 4), 3, calendar.WORKING_DAYS)
    assert spring.last_day == date(2027, 2, 15) and not spring.provisional  # 02-12, Sat 02-13 at work, 02-15


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"rest_days": ["2027-01-01"]}, "2027-02-06 is a statutory holiday"),
        ({"working_days": ["2027-02-10"]}, "is a weekday"),
        ({"working_days": ["2027-02-13", "2027-02-13"]}, "listed twice"),
        ({"working_days": ["2027-02-11"]}, "listed twice"),  # also a rest day
        ({"working_days": ["2028-01-08"]}, "not in 2027"),
        ({"rest_days": ["not-a-date"]}, "is not a date"),
        ({"source": ""}, "source must name"),
        ({"year": "2027"}, "year must be a year"),
        ({"published_on": "2099-01-01"}, "lies in the future"),
    ],
)
def test_a_schedule_that_cannot_be_the_state_councils_is_refused_with_every_problem(change, problem):
    with pytest.raises(calendar.ScheduleInvalid) as refused:
        calendar.parse_schedule(schedule_2027(**change))
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_coverage_counts_from_today():
    assert calendar.coverage(date(2026, 12, 6)) == (date(2026, 12, 31), 25)
    last, left = calendar.coverage(date(2027, 1, 4))
    assert left < 0  # nothing covers 2027 yet
    calendar.install([calendar.parse_schedule(schedule_2027())])
    assert calendar.coverage(date(2027, 1, 4)) == (date(2027, 12, 31), 361)


def test_the_clock_can_be_frozen_for_a_test():
    with clock.frozen_at(datetime(2026, 12, 29, 9, tzinfo=timezone(timedelta(hours=8)))):
        assert clock.today() == date(2026, 12, 29)
    assert clock.today() != date(2026, 12, 29) or datetime.now(UTC).date() == date(2026, 12, 29)


def test_newform_calendar_check_reads_toml_and_reports_every_problem(tmp_path, capsys):
    good = tmp_path / "2027.toml"
    doc = schedule_2027()
    good.write_text(
        f'year = 2027\nsource = "{doc["source"]}"\npublished_on = {doc["published_on"]}\n'
        f"rest_days = [{', '.join(doc['rest_days'])}]\nworking_days = [{', '.join(doc['working_days'])}]\n",
        encoding="utf-8",
    )
    assert newform(["calendar", "check", str(good)]) == 0
    assert "the 2027 schedule is valid" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"year": 2027, "source": "x", "rest_days": ["2027-01-01"], "working_days": ["2027-02-10"]}')
    assert newform(["calendar", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "2027-02-06 is a statutory holiday" in err and "2027-02-10 is a weekday" in err
