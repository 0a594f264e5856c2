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
