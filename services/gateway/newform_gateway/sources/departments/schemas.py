"""The departments API's answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class SourceRow(BaseModel):
    department: str
    kind: str
    facts: int
    last_observed_at: datetime


class CountRow(BaseModel):
    key: str
    count: int


class LicenceRow(BaseModel):
    licence_number: str
    holder_credit_code: str
    holder_name: str | None
    invalid_from: date
    revoked: bool


class DepartmentsSummary(BaseModel):
    by_source: list[SourceRow]
    not_enrolled_by_type: list[CountRow]
    licences_invalid: list[LicenceRow]
    enterprises_unqualified: int
    arrears_confirmed_fen: int
    case_outcomes: list[CountRow]


class StationDistrictRow(BaseModel):
    """One district's rest stations (M14) against its registered workers, and workers' reports on them."""

    district: str | None  # None: registered workers whose residence district is not stated
    stations: int
    registered_workers: int
    workers_per_station: float | None  # None without a station
    reports: int
    open: int
    open_overdue: int  # open past their handling deadline
    handled: int
    handled_late: int
    median_handling_hours: float | None


class RestStationCoverage(BaseModel):
    rows: list[StationDistrictRow]
    total: StationDistrictRow
    districts_without_station: list[str]


class WeatherResponseRow(BaseModel):
    """A platform's declared response to the warning (contracts.weather_response.declared.v1)."""

    response_id: str
    platform_id: str
    dispatch: str  # limited | suspended | unchanged
    completion_time_extended_minutes: int
    rule_notice_id: str | None
    taken_at: datetime
    declared_at: datetime
    in_time: bool | None  # declared by the response due time (None: the level asks for no response)


class NoResponseRow(BaseModel):
    """A platform engaging workers in the district that declared nothing by the due time: contracts' response
    clock fired (the finding `M8.weather_no_response`)."""

    platform_id: str
    response_due_at: datetime | None
    alert_id: str


class WeatherWarningRow(BaseModel):
    warning_id: str
    reference: str
    department: str
    district: str
    level: str  # blue | yellow | orange | red
    hazard: str
    starts_at: datetime
    ends_at: datetime | None
    cancelled_at: datetime | None
    window_end: datetime | None  # the earlier of ends_at and cancelled_at (None: still open)
    source: str
    version: int
    observed_at: datetime
    response_required: bool
    response_due_at: datetime | None
    responses: list[WeatherResponseRow]
    not_responded: list[NoResponseRow]
    findings: dict[str, int]  # M8 rule -> findings about this warning
    findings_total: int


class WeatherDistrictRow(BaseModel):
    district: str
    warnings: int
    by_level: dict[str, int]
    responses: int
    not_responded: int
    findings: int


class WeatherWarningsView(BaseModel):
    items: list[WeatherWarningRow]
    districts: list[WeatherDistrictRow]
    findings: dict[str, int]  # M8 rule -> findings about the warnings listed
