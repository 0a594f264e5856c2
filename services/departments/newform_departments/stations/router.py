"""HTTP only for rest stations (M14): keepers write their stations and handle reports; workers find
stations near them and report one; the regulator reads everything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent

from .. import service as facts_service
from . import service
from .models import ReportStatus
from .schemas import (
    XINING_LAT,
    XINING_LON,
    Amenity,
    District,
    HandledIn,
    ReportIn,
    ReportPublic,
    StationIn,
    StationNear,
    StationPublic,
)

router = APIRouter(prefix="/v1", tags=["rest-stations"])

Keeper = Annotated[Principal, require(Role.department)]
Worker = Annotated[Principal, require(Role.worker)]
Anyone = Annotated[Principal, require(Role.worker, Role.department, Role.regulator, Role.admin)]
KeeperOrOversight = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]
StationId = Annotated[str, Path(max_length=40)]
WRITE = problem_responses(401, 403, 404, 409, 422)
READ = problem_responses(401, 403, 404, 422)


@router.post(
    "/rest-stations",
    status_code=201,
    response_model=StationPublic,
    responses=WRITE,
    summary="Register a rest station (M14 units: drc, housing, construction, transport, urban; a district "
    "government in its district); the same reference again restates it (version + 1) or changes nothing",
    **HONOURS_KEY,
)
async def register_rest_station(body: StationIn, request: Request, session: SessionDep, principal: Keeper):
    async def produce():
        station = await service.register(session, principal, body)
        facts_service.audit(session, principal, "write", f"rest_station {station.id} {station.status}", "M14")
        return station

    return await idempotent(request, session, principal, body, produce)


@router.put(
    "/rest-stations/{station_id}",
    response_model=StationPublic,
    responses=WRITE,
    summary="Restate a station you keep (another department: 403)",
)
async def update_rest_station(station_id: StationId, body: StationIn, session: SessionDep, principal: Keeper):
    station = await service.update(session, principal, station_id, body)
    facts_service.audit(session, principal, "write", f"rest_station {station.id} {station.status}", "M14")
    return station


@router.get(
    "/rest-stations/near",
    response_model=list[StationNear],
    responses=READ,
    summary="Stations nearest a point first (haversine distance), optionally with given amenities, open now "
    "(in each station's zone, Asia/Shanghai by default) or within a radius",
)
async def rest_stations_near(
    session: SessionDep,
    principal: Anyone,
    lat: Annotated[float, Query(ge=XINING_LAT[0], le=XINING_LAT[1], description="WGS-84 latitude")],
    lon: Annotated[float, Query(ge=XINING_LON[0], le=XINING_LON[1], description="WGS-84 longitude")],
    amenity: Annotated[list[Amenity] | None, Query(description="Every amenity given must be offered")] = None,
    open_now: bool = False,
    within_m: Annotated[float | None, Query(gt=0, le=200_000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    amenities = sorted({str(a) for a in amenity or ()})
    return await service.near(session, lat, lon, amenities=amenities, open_now=open_now, within_m=within_m, limit=limit)


@router.get(
    "/rest-stations",
    response_model=list[StationPublic],
    responses=READ,
    summary="The registry, by district and name (`mine=true`: a keeper's own stations)",
)
async def list_rest_stations(
    session: SessionDep,
    principal: Anyone,
    district: District | None = None,
    mine: bool = False,  # type: ignore[valid-type]
):
    return await service.listed(session, principal, district, mine)


@router.get("/rest-stations/{station_id}", response_model=StationPublic, responses=READ, summary="One station")
async def get_rest_station(station_id: StationId, session: SessionDep, principal: Anyone):
    return await service.one(session, station_id)


@router.post(
    "/rest-stations/{station_id}/reports",
    status_code=201,
    response_model=ReportPublic,
    responses=WRITE,
    summary="A worker reports the station closed, full, broken or other: an alert for its keeper with a "
    "handling deadline (policy stations.report_handling_days)",
    **HONOURS_KEY,
)
async def report_rest_station(
    station_id: StationId, body: ReportIn, request: Request, session: SessionDep, principal: Worker
):
    async def produce():
        return await service.report(session, principal, station_id, body)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/rest-station-reports",
    response_model=list[ReportPublic],
    responses=READ,
    summary="Reports on the stations a keeper keeps (its alerts); the regulator and admins see all",
)
async def list_rest_station_reports(
    session: SessionDep,
    principal: KeeperOrOversight,
    status: ReportStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    return await service.reports(session, principal, status, limit)


@router.post(
    "/rest-station-reports/{report_id}/handled",
    response_model=ReportPublic,
    responses=WRITE,
    summary="The keeper marks a report handled (its deadline stops)",
    **HONOURS_KEY,
)
async def handle_rest_station_report(
    report_id: Annotated[str, Path(max_length=40)],
    body: HandledIn,
    request: Request,
    session: SessionDep,
    principal: Keeper,
):
    async def produce():
        handled = await service.handled(session, principal, report_id, body)
        facts_service.audit(session, principal, "write", f"rest_station_report {report_id} handled", "M14")
        return handled

    return await idempotent(request, session, principal, body, produce, status_code=200)
