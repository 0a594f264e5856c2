"""Policy as data: version and value lookup by date, successor versions, validation, holidays."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newform_common import holidays
from newform_common.policy import (
    ENV_VAR,
    MEASURES,
    Parameter,
    ParameterNotInForce,
    PolicyError,
    PolicyNotInForce,
    business_date,
    get_policy,
    load_policy,
)

ALL_DEPARTMENTS = [
    "hrss", "court", "union", "transport", "market", "postal", "culture", "drc", "emergency", "health",
    "police", "medins", "tax", "housing", "construction", "urban", "education", "sports", "justice",
    "bigdata", "county",
]


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def successor_toml(vid: str, valid_from: str, valid_until: str, monthly_fen: int, extends: bool = True) -> str:
    return textwrap.dedent(
        f"""
        [version]
        id = "{vid}"
        document = "宁政办〔2026〕99号"
        title = "test successor"
        valid_from = {valid_from}
        valid_until = {valid_until}
        {'extends = "xining-2022-41"' if extends else ""}

        [[parameter]]
        name = "pay.minimum_wage.monthly_fen"
        measure = "M6"
        unit = "fen"
        source = "test"
        values = [{{ effective_from = {valid_from}, value = {monthly_fen} }}]
        """
    )


# -- version and value by date ----------------------------------------------------------------
def test_bundled_version_metadata(policy):
    (v,) = policy.versions()
    assert v.id == "xining-2022-41"
    assert v.document == "宁政办〔2022〕41号"
    assert (v.valid_from, v.valid_until) == (date(2022, 4, 24), date(2026, 12, 21))
    assert policy.version_on(date(2022, 4, 24)) == v
    assert policy.version_on(date(2026, 12, 21)) == v


def test_minimum_wage_by_date(policy):
    assert policy.value("pay.minimum_wage.monthly_fen", date(2022, 6, 1)) == 170000
    assert policy.value("pay.minimum_wage.hourly_fen", date(2022, 6, 1)) == 1520
    assert policy.value("pay.minimum_wage.monthly_fen", date(2024, 6, 1)) == 188000
    assert policy.value("pay.minimum_wage.hourly_fen", date(2024, 6, 1)) == 1800
    # the change-over day itself
    assert policy.value("pay.minimum_wage.monthly_fen", date(2023, 1, 31)) == 170000
    assert policy.value("pay.minimum_wage.monthly_fen", date(2023, 2, 1)) == 188000


def test_parameter_carries_measure_unit_source(policy):
    p = policy.parameter("pay.minimum_wage.monthly_fen", date(2024, 6, 1))
    assert isinstance(p, Parameter)
    assert (p.name, p.measure, p.unit, p.value) == ("pay.minimum_wage.monthly_fen", "M6", "fen", 188000)
    assert p.effective_from == date(2023, 2, 1)
    assert "青政〔2023〕8号" in p.source
    assert p.version == "xining-2022-41"


def test_seeded_values(policy):
    on = date(2024, 6, 1)
    expected = {
        "pay.max_pay_period_days": 31,
        "pay.allowed_pay_periods": ["hour", "day", "week", "month"],
        "pay.overtime_multiplier_percent.working_day": 150,
        "pay.overtime_multiplier_percent.rest_day": 200,
        "pay.overtime_multiplier_percent.statutory_holiday": 300,
        "pay.records_retention_years": 3,
        "hours.statutory_daily_hours": 8,
        "hours.statutory_weekly_hours": 40,
        "hours.overtime.normal_daily_hours": 1,
        "hours.overtime.max_daily_hours": 3,
        "hours.overtime.max_monthly_hours": 36,
        "rest.quota_achievable_share_percent": 90,
        "rest.forced_break.after_continuous_minutes": 240,
        "rest.forced_break.minutes": 20,
        "rest.night_window.start": "22:00",
        "rest.night_window.end": "06:00",
        "disputes.mediation_limit_days": 15,
        "disputes.arbitration_limit_days": 45,
        "disputes.arbitration_extension_days": 15,
        "training.skills_subsidy.amount_fen_by_level": {"junior": 100000, "intermediate": 150000, "senior": 200000},
        "training.skills_subsidy.unique_per": ["person", "occupation", "level"],
        "training.skills_subsidy.max_per_person_per_year": 1,
        "alerts.handling_deadline_days.M6": 5,
    }
    for name, value in expected.items():
        assert policy.value(name, on) == value, name
    basis = policy.value("pay.minimum_wage.basis", on)
    assert basis["labor_contract"] == "monthly" and basis["work_agreement"] == "hourly"
    for m in MEASURES:
        assert policy.alert_deadline_days(m, on) > 0
        assert policy.parameter(f"alerts.handling_deadline_days.{m}", on).measure == m


def test_every_parameter_cites_a_known_measure(policy):
    on = date(2024, 6, 1)
    for name in policy.names(on):
        p = policy.parameter(name, on)
        assert p.measure in MEASURES and p.source and p.unit, name


def test_measures_titles(policy):
    titles = policy.measure_titles(date(2024, 6, 1))
    assert list(titles) == list(MEASURES) == [f"M{i}" for i in range(1, 21)]
    assert {m: t["en"] for m, t in titles.items()} == MEASURES
    assert titles["M6"]["zh"] == "保障劳动者取得劳动报酬的权利"


def test_returned_values_are_copies(policy):
    on = date(2024, 6, 1)
    policy.value("pay.allowed_pay_periods", on).append("year")
    policy.departments_for_measure("M6", on).clear()
    assert policy.value("pay.allowed_pay_periods", on) == ["hour", "day", "week", "month"]
    assert policy.departments_for_measure("M6", on)


def test_outside_validity_raises(policy):
    with pytest.raises(PolicyNotInForce):
        policy.value("pay.minimum_wage.monthly_fen", date(2026, 12, 22))
    with pytest.raises(PolicyNotInForce):
        policy.version_on(date(2022, 4, 23))


def test_unknown_name_raises_keyerror(policy):
    with pytest.raises(KeyError):
        policy.value("pay.no_such_thing", date(2024, 6, 1))
    with pytest.raises(KeyError):
        policy.departments_for_measure("M21", date(2024, 6, 1))
    with pytest.raises(KeyError):
        policy.sector_regulators("astronaut", date(2024, 6, 1))


def test_aware_datetime_is_converted_to_shanghai_date(policy):
    # 2023-01-31 16:30 UTC is 2023-02-01 00:30 in Shanghai: the new minimum wage applies
    moment = datetime(2023, 1, 31, 16, 30, tzinfo=UTC)
    assert business_date(moment) == date(2023, 2, 1)
    assert policy.value("pay.minimum_wage.monthly_fen", moment) == 188000
    assert policy.value("pay.minimum_wage.monthly_fen", datetime(2023, 1, 31, 15, 59, tzinfo=UTC)) == 170000
    with pytest.raises(ValueError):
        policy.value("pay.minimum_wage.monthly_fen", datetime(2024, 6, 1, 12, 0))


# -- routing and reference data ---------------------------------------------------------------
def test_departments_for_m6_match_catalogue(policy):
    assert policy.departments_for_measure("M6", date(2024, 6, 1)) == [
        "hrss", "drc", "court", "union", "transport", "market", "postal", "culture", "county",
    ]


def test_departments_for_every_measure(policy):
    on = date(2024, 6, 1)
    as_m1 = ["hrss", "court", "union", "transport", "market", "postal", "culture", "county"]
    expected = {
        "M1": as_m1, "M2": as_m1, "M3": as_m1,
        "M4": ["hrss", "union", "transport", "market", "postal", "culture", "county"],
        "M5": as_m1,
        "M7": ["hrss", "union", "transport", "market", "postal", "culture", "county"],
        "M8": ["hrss", "emergency", "health", "police", "union", "transport", "market", "postal", "culture",
               "county"],
        "M9": ["hrss", "medins", "transport", "market", "postal", "culture", "county"],
        "M10": ["union", "hrss", "transport", "market", "postal", "culture", "county"],
        "M11": ["hrss", "tax", "union", "transport", "market", "postal", "culture", "county"],
        "M12": ["hrss", "tax", "county"],
        "M13": ["hrss", "union", "transport", "market", "postal", "culture", "county"],
        "M14": ["drc", "housing", "construction", "transport", "urban", "county"],
        "M15": ["culture", "education", "sports", "county"],
        # Item 16's 17 city departments, in its order: no district governments, urban, justice or bigdata.
        "M16": ["hrss", "union", "court", "drc", "police", "medins", "health", "emergency", "sports", "housing",
                "construction", "tax", "education", "transport", "market", "postal", "culture"],
        "M17": ["union", "hrss", "transport", "market", "postal", "culture", "county"],
        "M18": ["court", "hrss", "justice", "county"],
        "M19": ["drc", "bigdata", "hrss", "market", "transport", "postal", "county"],
        "M20": ["hrss", "union", "health", "emergency", "market", "transport", "postal", "culture", "county"],
    }
    for measure, codes in expected.items():
        assert policy.departments_for_measure(measure, on) == codes, measure
    assert sorted(policy.departments(on)) == sorted(ALL_DEPARTMENTS)


def test_sector_regulators_and_route(policy):
    on = date(2024, 6, 1)
    assert policy.sector_regulators("courier", on) == ["postal"]
    for occ in ("ride_hailing", "freight_driver", "designated_driver"):
        assert policy.sector_regulators(occ, on) == ["transport"]
    assert policy.sector_regulators("internet_marketer", on) == ["culture", "market"]
    assert policy.sector_regulators("food_delivery", on) == ["market"]
    assert policy.sector_regulators("on_demand_delivery", on) == ["market"]
    assert policy.route("M12", on, occupation="courier") == ["hrss", "tax", "county", "postal"]
    assert policy.route("M6", on, occupation="courier") == policy.departments_for_measure("M6", on)


def test_reference_tables(policy):
    on = date(2024, 6, 1)
    assert policy.districts(on) == {
        "chengdong": "城东区", "chengzhong": "城中区", "chengxi": "城西区", "chengbei": "城北区",
        "huangzhong": "湟中区", "datong": "大通县", "huangyuan": "湟源县",
    }
    assert policy.occupations(on) == {
        "food_delivery": "外卖送餐员", "courier": "快递员", "on_demand_delivery": "网约配送员",
        "ride_hailing": "网约车驾驶员", "freight_driver": "网约货车司机", "designated_driver": "代驾司机",
        "internet_marketer": "互联网营销师",
    }
    assert policy.departments(on)["hrss"] == "市人力资源社会保障局"
    assert set(policy.value("routing.sector_regulators", on)) == set(policy.occupations(on))


# -- successor versions and validation --------------------------------------------------------
def test_successor_version_in_extra_dir(tmp_path: Path):
    (tmp_path / "xining-2026-99.toml").write_text(
        successor_toml("xining-2026-99", "2026-12-22", "2031-12-31", 200000), encoding="utf-8"
    )
    policy = load_policy([tmp_path])
    assert [v.id for v in policy.versions()] == ["xining-2022-41", "xining-2026-99"]
    assert policy.version_on(date(2027, 3, 1)).id == "xining-2026-99"
    assert policy.value("pay.minimum_wage.monthly_fen", date(2027, 3, 1)) == 200000
    # inherited through `extends`
    assert policy.value("pay.minimum_wage.hourly_fen", date(2027, 3, 1)) == 1800
    assert policy.departments_for_measure("M6", date(2027, 3, 1))[0] == "hrss"
    # facts dated under the old version keep its values
    assert policy.value("pay.minimum_wage.monthly_fen", date(2026, 12, 21)) == 188000


def test_successor_via_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "xining-2026-99.toml").write_text(
        successor_toml("xining-2026-99", "2026-12-22", "2031-12-31", 210000), encoding="utf-8"
    )
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert get_policy().value("pay.minimum_wage.monthly_fen", date(2027, 1, 1)) == 210000
    assert get_policy() is get_policy()
    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(PolicyNotInForce):
        get_policy().value("pay.minimum_wage.monthly_fen", date(2027, 1, 1))


def test_overlapping_versions_rejected(tmp_path: Path):
    (tmp_path / "xining-2026-99.toml").write_text(
        successor_toml("xining-2026-99", "2026-06-01", "2031-12-31", 200000), encoding="utf-8"
    )
    with pytest.raises(PolicyError, match="overlap"):
        load_policy([tmp_path])


def test_standalone_successor_without_extends(tmp_path: Path):
    (tmp_path / "next.toml").write_text(successor_toml("next", "2027-01-01", "2027-12-31", 1, extends=False))
    policy = load_policy([tmp_path])
    assert policy.value("pay.minimum_wage.monthly_fen", date(2027, 6, 1)) == 1
    with pytest.raises(KeyError):
        policy.value("pay.minimum_wage.hourly_fen", date(2027, 6, 1))
    with pytest.raises(PolicyNotInForce):  # the gap between the versions
        policy.value("pay.minimum_wage.monthly_fen", date(2026, 12, 25))


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace('measure = "M6"', 'measure = "M21"'), "unknown measure"),
        (lambda s: s.replace("valid_until = 2031-12-31", "valid_until = 2026-01-01"), "valid_until"),
        (lambda s: s.replace("value = 200000 }]", "value = 200000 }, { effective_from = 2027-01-01, value = 1 }]"),
         "ascending"),
        (lambda s: s.replace("value = 200000", "value = 2000.5"), "float"),
        (lambda s: s.replace('unit = "fen"\n', ""), "unit"),
        (lambda s: s.replace('id = "xining-2026-99"', 'id = "other"'), "file name"),
        (lambda s: s.replace('extends = "xining-2022-41"', 'extends = "nope"'), "extends"),
    ],
)
def test_invalid_files_rejected(tmp_path: Path, mutation, message):
    text = successor_toml("xining-2026-99", "2027-02-01", "2031-12-31", 200000)
    text = text.replace("effective_from = 2027-02-01", "effective_from = 2027-06-01")
    (tmp_path / "xining-2026-99.toml").write_text(mutation(text), encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy([tmp_path])


def test_parameter_not_yet_effective(tmp_path: Path):
    text = successor_toml("xining-2026-99", "2027-01-01", "2031-12-31", 200000).replace(
        "effective_from = 2027-01-01", "effective_from = 2027-06-01"
    )
    (tmp_path / "xining-2026-99.toml").write_text(text, encoding="utf-8")
    policy = load_policy([tmp_path])
    with pytest.raises(ParameterNotInForce):
        policy.value("pay.minimum_wage.monthly_fen", date(2027, 3, 1))


def test_unknown_department_in_routing_rejected(tmp_path: Path):
    text = successor_toml("xining-2026-99", "2027-01-01", "2031-12-31", 200000) + textwrap.dedent(
        """
        [[parameter]]
        name = "routing.departments.M6"
        measure = "M6"
        unit = "department codes"
        source = "test"
        values = [{ effective_from = 2027-01-01, value = ["hrss", "nasa"] }]
        """
    )
    (tmp_path / "xining-2026-99.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="nasa"):
        load_policy([tmp_path])


# -- holidays ---------------------------------------------------------------------------------
def test_holidays_national_day_2024():
    assert holidays.is_statutory_holiday(date(2024, 10, 1))
    assert holidays.is_rest_day(date(2024, 10, 1))
    # 2024-09-29 is a Sunday made a working day (调休)
    assert date(2024, 9, 29).weekday() == 6
    assert not holidays.is_rest_day(date(2024, 9, 29))
    assert not holidays.is_statutory_holiday(date(2024, 9, 29))
    # 10-04 (swapped) and 10-05 (Saturday) are rest days of the holiday week, not statutory holidays
    for d in (date(2024, 10, 4), date(2024, 10, 5)):
        assert holidays.is_rest_day(d) and not holidays.is_statutory_holiday(d)
    assert holidays.holiday_name(date(2024, 10, 4)) == "National Day"
    assert holidays.is_rest_day(date(2024, 6, 1))  # an ordinary Saturday
    assert not holidays.is_statutory_holiday(date(2024, 6, 1))


def test_statutory_days_follow_the_holiday_rules():
    # 2024: 13 revision; 2025: 2024 revision adds 除夕 and May 2
    assert sorted(d for d in holidays.statutory_holidays(2024) if d.month == 2) == [
        date(2024, 2, 10), date(2024, 2, 11), date(2024, 2, 12)]
    assert sorted(d for d in holidays.statutory_holidays(2025) if d.month in (1, 2)) == [
        date(2025, 1, 1), date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)]
    assert holidays.is_statutory_holiday(date(2025, 5, 2))
    assert not holidays.is_statutory_holiday(date(2024, 5, 2))
    assert holidays.is_statutory_holiday(date(2022, 9, 10))  # Mid-Autumn on a Saturday
    assert not holidays.is_statutory_holiday(date(2022, 9, 12))  # its make-up day off
    assert holidays.is_statutory_holiday(date(2024, 4, 4))  # 清明
    assert holidays.is_statutory_holiday(date(2025, 10, 6))  # Mid-Autumn inside National Day week


def test_statutory_days_consistent_with_package_for_every_covered_year():
    counts = {2024: 11, 2025: 13, 2026: 13}
    for year in holidays.covered_years():
        days = holidays.statutory_holidays(year)  # raises if any computed day is not published
        assert all(holidays.is_rest_day(d) for d in days), year
        if year in counts:
            assert len(days) == counts[year]


def test_holiday_year_not_covered():
    last = holidays.covered_years()[-1]
    with pytest.raises(holidays.HolidayCalendarNotAvailable, match=str(last + 1)):
        holidays.is_statutory_holiday(date(last + 1, 10, 1))
    with pytest.raises(holidays.HolidayCalendarNotAvailable):
        holidays.is_rest_day(date(last + 1, 1, 1))


def test_holidays_accept_aware_datetimes_only():
    utc_evening = datetime(2024, 9, 30, 17, 0, tzinfo=UTC)  # 2024-10-01 01:00 in Shanghai
    assert holidays.is_statutory_holiday(utc_evening)
    assert holidays.is_statutory_holiday(datetime(2024, 10, 1, 9, tzinfo=timezone(timedelta(hours=8))))
    with pytest.raises(ValueError):
        holidays.is_rest_day(datetime(2024, 10, 1, 9))
