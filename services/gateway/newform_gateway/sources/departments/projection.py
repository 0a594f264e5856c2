"""departments.* events into the department-facts read model — set-based: one statement per batch.

Each fact is one row, its latest statement (a redelivered or older version never overwrites a newer one).
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import consumes

from ...projections.base import Context, EventData, Projection, Typed
from . import repository

COMMON = {"fact_id", "subject_key", "department", "reference", "version", "observed_at", "recorded_at"}


# -- the gateway's reading of departments' v1 events (services/departments/newform_departments/events.py) --
class FactData(EventData):
    fact_id: str
    subject_key: str
    department: str
    reference: str
    version: int
    observed_at: AwareDatetime
    recorded_at: AwareDatetime


@consumes("departments.insurance_enrolment.recorded.v1")
class InsuranceEnrolmentRecorded(FactData):
    worker_id: str
    insurance_type: str
    status: str


@consumes("departments.dispatch_licence.recorded.v1")
class DispatchLicenceRecorded(FactData):
    licence_number: str
    holder_credit_code: str
    effective_until: str


@consumes("departments.enterprise_record.recorded.v1")
class EnterpriseRecordRecorded(FactData):
    credit_code: str
    registration_status: str
    qualified: bool


@consumes("departments.inspection_result.recorded.v1")
class InspectionResultRecorded(FactData):
    employer_credit_code: str
    matter: str
    confirmed_amount_fen: int
    # the wage-arrears list's conditions (credit.listing_condition reads them from the stored fields)
    ordered_to_pay_by: str | None = None
    order_ignored: bool = False
    mass_incident: bool = False
    months_unpaid: int | None = None
    workers_affected: int | None = None


@consumes("departments.case_outcome.recorded.v1")
class CaseOutcomeRecorded(FactData):
    forum: str
    outcome: str


# -- rest stations (M14): the registry and workers' reports ------------------------------------------------
class StationData(EventData):
    station_id: str
    keeper: str
    name: str
    district: str
    lat: float
    lon: float
    amenities: list[str]
    version: int


@consumes("departments.rest_station.registered.v1")
class RestStationRegistered(StationData):
    pass


@consumes("departments.rest_station.updated.v1")
class RestStationUpdated(StationData):
    pass


@consumes("departments.rest_station.reported.v1")
class RestStationReported(EventData):
    report_id: str
    station_id: str
    keeper: str
    district: str
    kind: str
    reported_at: AwareDatetime
    due_at: AwareDatetime


@consumes("departments.rest_station.report_handled.v1")
class RestStationReportHandled(EventData):
    report_id: str
    station_id: str
    keeper: str
    district: str
    reported_at: AwareDatetime
    handled_at: AwareDatetime


# -- bad-weather warnings (M8): the emergency department's statements, the highest version kept -----------------
@consumes("departments.weather_warning.issued.v1")
class WeatherWarningIssued(FactData):
    district: str
    level: str
    hazard: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    source: str


WARNING_FIELDS = set(WeatherWarningIssued.model_fields) - {"subject_key"}

STATION_EVENTS = (RestStationRegistered, RestStationUpdated, RestStationReported, RestStationReportHandled)

KINDS = {
    InsuranceEnrolmentRecorded: "insurance_enrolment",
    DispatchLicenceRecorded: "dispatch_licence",
    EnterpriseRecordRecorded: "enterprise_record",
    InspectionResultRecorded: "inspection_result",
    CaseOutcomeRecorded: "case_outcome",
}


async def apply_stations(session: AsyncSession, events: list[Typed[Any]]) -> None:
    """Stations: the latest version of each; reports: reported, then handled (a redelivery changes nothing)."""
    stations: dict[str, dict[str, Any]] = {}
    reports: dict[str, dict[str, Any]] = {}
    for t in events:
        d = t.data
        if isinstance(d, StationData):
            if d.station_id not in stations or stations[d.station_id]["version"] < d.version:
                stations[d.station_id] = d.model_dump(include=set(StationData.model_fields))
        else:
            row = reports.get(d.report_id) or {"kind": None, "due_at": None, "handled_at": None}
            row |= d.model_dump(include={"report_id", "station_id", "keeper", "district", "reported_at"})
            if isinstance(d, RestStationReported):
                row |= {"kind": d.kind, "due_at": d.due_at}
            else:
                row["handled_at"] = d.handled_at
            reports[d.report_id] = row
    await repository.write_stations(session, list(stations.values()))
    await repository.write_reports(session, list(reports.values()))


async def apply_warnings(session: AsyncSession, events: list[Typed[Any]]) -> None:
    """Each warning's highest version in the batch, written unless a higher one is held (a redelivery or an
    older statement never overwrites a newer one)."""
    latest: dict[str, dict[str, Any]] = {}
    for t in events:
        d = t.data
        if d.fact_id not in latest or latest[d.fact_id]["version"] < d.version:
            row = d.model_dump(include=WARNING_FIELDS)
            row["warning_id"] = row.pop("fact_id")
            latest[d.fact_id] = row
    await repository.write_warnings(session, list(latest.values()))


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    await apply_stations(session, [t for t in events if isinstance(t.data, STATION_EVENTS)])
    await apply_warnings(session, [t for t in events if isinstance(t.data, WeatherWarningIssued)])
    latest: dict[str, dict[str, Any]] = {}
    for t in events:
        d = t.data
        if isinstance(d, (*STATION_EVENTS, WeatherWarningIssued)):
            continue
        if d.fact_id in latest and latest[d.fact_id]["version"] >= d.version:
            continue
        latest[d.fact_id] = dict(
            fact_id=d.fact_id,
            kind=KINDS[type(d)],
            department=d.department,
            reference=d.reference,
            subject_key=d.subject_key,
            version=d.version,
            fields={k: v for k, v in t.envelope.data.items() if k not in COMMON},
            observed_at=d.observed_at,
            recorded_at=d.recorded_at,
        )
    # One fact's events share a key (its subject), so they arrive in order; a redelivery is the inbox's.
    await repository.write_facts(session, list(latest.values()))


PROJECTION = Projection(
    service="departments",
    model_list=(*KINDS, *STATION_EVENTS, WeatherWarningIssued),
    apply=apply,
)

#: The read models a rebuild compares with the live ones (the rest-station tables; see rebuild.py).
READ_MODELS: dict[str, tuple[str, ...]] = {
    "department_rest_stations": (),
    "department_station_reports": (),
    "department_weather_warnings": (),
}
