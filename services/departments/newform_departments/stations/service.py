"""Use cases of the rest-station registry (M14): keep a station, find stations near a worker, a worker's
report and its keeper's handling, the handling clock running out. Never commits (the request does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock, deadlines
from newform_common.auth import Principal
from newform_common.deadlines import Deadline, DeadlineHandler
from newform_common.errors import NotFound, Problem
from newform_common.findings import raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date, get_policy
from newform_common.states import require_transition

from . import events as ev
from . import repository as repo
from . import rules
from .models import ALLOWED, ReportStatus, RestStation, StationReport
from .schemas import HandledIn, ReportIn, ReportPublic, StationIn, StationNear, StationPublic

REPORT_CLOCK = "departments.station_report"


def keeper_of(principal: Principal) -> str:
    """The keeper a department token acts as: its code, a district government as `county:<district>`."""
    if principal.department == rules.COUNTY and principal.district:
        return f"{rules.COUNTY}:{principal.district}"
    return str(principal.department)


def _refuse(detail: str) -> Problem:
    return Problem(
        detail, status=403, slug="outside-department-scope", title="Outside the department's scope", measure="M14"
    )


def _may_keep(principal: Principal, district: str, on: datetime) -> None:
    keepers = get_policy().value(rules.KEEPERS, business_date(on))
    refusal = rules.keeper_refusal(principal.department, principal.district, district, keepers)
    if refusal:
        raise _refuse(refusal)


def public(s: RestStation, at: datetime, status: str | None = None) -> StationPublic:
    return StationPublic(
        id=s.id,
        keeper=s.keeper,
        reference=s.reference,
        name=s.name,
        address=s.address,
        district=s.district,
        lat=s.lat,
        lon=s.lon,
        amenities=list(s.amenities),
        hours=s.hours,
        phone=s.phone,
        version=s.version,
        updated_at=s.updated_at,
        open_now=rules.open_at(s.hours, at),
        status=status,
    )


def _fields(body: StationIn) -> dict[str, Any]:
    return {
        "name": body.name,
        "address": body.address,
        "district": body.district,
        "lat": body.lat,
        "lon": body.lon,
        "amenities": [str(a) for a in body.amenities],
        "hours": body.hours.model_dump(mode="json"),
        "phone": body.phone,
    }


def _event(kind: type[ev._Station], s: RestStation) -> ev._Station:
    return kind(
        station_id=s.id,
        keeper=s.keeper,
        reference=s.reference,
        name=s.name,
        address=s.address,
        district=s.district,
        lat=s.lat,
        lon=s.lon,
        amenities=list(s.amenities),
        hours=s.hours,
        version=s.version,
        at=s.updated_at,
    )


def _restate(s: RestStation, fields: dict[str, Any], now: datetime) -> bool:
    """Apply a keeper's statement; True when something changed (version + 1, published)."""
    if all(getattr(s, k) == v for k, v in fields.items()):
        return False
    for k, v in fields.items():
        setattr(s, k, v)
    s.version, s.updated_at = s.version + 1, now
    return True


async def register(session: AsyncSession, principal: Principal, body: StationIn) -> StationPublic:
    """Create a station under (keeper, reference), or restate it: the same statement again is `unchanged`."""
    now = clock.now()
    _may_keep(principal, body.district, now)
    keeper = keeper_of(principal)
    fields = _fields(body)
    current = await repo.by_reference(session, keeper, body.reference)
    if current is None:
        s = RestStation(
            id=new_id("rst"), keeper=keeper, reference=body.reference, created_at=now, updated_at=now, **fields
        )
        session.add(s)
        record(session, _event(ev.RestStationRegistered, s))
        return public(s, now, "created")
    if not _restate(current, fields, now):
        return public(current, now, "unchanged")
    record(session, _event(ev.RestStationUpdated, current))
    return public(current, now, "updated")


async def one(session: AsyncSession, station_id: str) -> StationPublic:
    s = await repo.station(session, station_id)
    if s is None:
        raise NotFound(f"No rest station {station_id}")
    return public(s, clock.now())


async def _own_station(session: AsyncSession, principal: Principal, station_id: str) -> RestStation:
    s = await repo.station(session, station_id, for_update=True)
    if s is None:
        raise NotFound(f"No rest station {station_id}")
    if s.keeper != keeper_of(principal):
        raise _refuse(f"Rest station {station_id} is kept by {s.keeper}; only its keeper may change it")
    return s


async def update(session: AsyncSession, principal: Principal, station_id: str, body: StationIn) -> StationPublic:
    """The keeper restates its station by id (another department: 403, nothing changed)."""
    now = clock.now()
    s = await _own_station(session, principal, station_id)
    _may_keep(principal, body.district, now)
    if body.reference != s.reference:
        raise Problem("A station's reference cannot change", status=409, slug="conflict", title="Conflict")
    if not _restate(s, _fields(body), now):
        return public(s, now, "unchanged")
    record(session, _event(ev.RestStationUpdated, s))
    return public(s, now, "updated")


async def near(
    session: AsyncSession,
    lat: float,
    lon: float,
    *,
    amenities: list[str],
    open_now: bool,
    within_m: float | None,
    limit: int,
) -> list[StationNear]:
    """Stations nearest first; `open_now` keeps those open at this moment in their hours' zone."""
    now = clock.now()
    found = []
    for s, distance in await repo.near(session, lat, lon, amenities=amenities, within_m=within_m):
        item = StationNear(**public(s, now).model_dump(), distance_m=round(distance))
        if open_now and not item.open_now:
            continue
        found.append(item)
        if len(found) == limit:
            break
    return found


async def listed(session: AsyncSession, principal: Principal, district: str | None, mine: bool) -> list[StationPublic]:
    now = clock.now()
    keeper = keeper_of(principal) if mine and principal.department else None
    return [public(s, now) for s in await repo.stations(session, keeper=keeper, district=district)]


def report_public(r: StationReport, station_name: str) -> ReportPublic:
    return ReportPublic(
        id=r.id,
        station_id=r.station_id,
        station_name=station_name,
        keeper=r.keeper,
        district=r.district,
        kind=r.kind,
        note=r.note,
        status=r.status,
        reported_at=r.reported_at,
        due_at=r.due_at,
        handled_at=r.handled_at,
        handled_note=r.handled_note,
        finding_id=r.finding_id,
    )


async def report(session: AsyncSession, principal: Principal, station_id: str, body: ReportIn) -> ReportPublic:
    """A worker's report: an alert for the keeper, with a handling clock of the policy's M14 period."""
    s = await repo.station(session, station_id)
    if s is None:
        raise NotFound(f"No rest station {station_id}")
    now = clock.now()
    days = int(get_policy().value(rules.HANDLING_DAYS, business_date(now)))
    r = StationReport(
        id=new_id("rsr"),
        station_id=s.id,
        keeper=s.keeper,
        district=s.district,
        worker_id=str(principal.worker_id),
        kind=body.kind,
        note=body.note,
        reported_at=now,
        due_at=now,
    )
    session.add(r)
    clock_row = await deadlines.schedule_period(
        session, REPORT_CLOCK, r.id, start=rules.handling_start(now), days=days, data={"station_id": s.id}
    )
    r.due_at = clock_row.due_at
    record(
        session,
        ev.RestStationReported(
            report_id=r.id,
            station_id=s.id,
            keeper=s.keeper,
            district=s.district,
            kind=r.kind,
            reported_at=now,
            due_at=r.due_at,
        ),
    )
    return report_public(r, s.name)


async def reports(
    session: AsyncSession, principal: Principal, status: ReportStatus | None, limit: int
) -> list[ReportPublic]:
    """A keeper's alerts (its stations' reports); the regulator and admins see all."""
    keeper = None if principal.is_oversight() else keeper_of(principal)
    return [
        report_public(r, name) for r, name in await repo.reports(session, keeper=keeper, status=status, limit=limit)
    ]


async def handled(session: AsyncSession, principal: Principal, report_id: str, body: HandledIn) -> ReportPublic:
    """The keeper marks a report handled; its clock stops (an overdue one stays a finding)."""
    r = await repo.report(session, report_id, for_update=True)
    if r is None or r.keeper != keeper_of(principal):
        raise NotFound(f"No report {report_id} on a station you keep")
    require_transition(ALLOWED, r.status, ReportStatus.handled, "station report")
    was_overdue = r.status == ReportStatus.overdue
    now = clock.now()
    r.status, r.handled_at, r.handled_note = ReportStatus.handled, now, body.note
    await deadlines.cancel(session, REPORT_CLOCK, r.id)
    s = await repo.station(session, r.station_id)
    record(
        session,
        ev.RestStationReportHandled(
            report_id=r.id,
            station_id=r.station_id,
            keeper=r.keeper,
            district=r.district,
            reported_at=r.reported_at,
            handled_at=now,
            overdue=was_overdue,
        ),
    )
    return report_public(r, s.name if s else "")


async def report_overdue(session: AsyncSession, deadline: Deadline) -> None:
    """The handling clock ran out on an open report: a finding citing M14, routed to the keeper."""
    r = await repo.report(session, deadline.subject_id, for_update=True)
    if r is None or r.status != ReportStatus.open:
        return
    s = await repo.station(session, r.station_id)
    require_transition(ALLOWED, r.status, ReportStatus.overdue, "station report")
    r.status = ReportStatus.overdue
    days = int(get_policy().value(rules.HANDLING_DAYS, business_date(r.reported_at)))
    spec = rules.report_overdue(
        r.id, r.station_id, s.name if s else r.station_id, r.keeper, r.kind, r.reported_at, r.due_at, days
    )
    ref = await raise_finding(session, spec, subject_type="rest_station", subject_id=r.station_id, district=r.district)
    r.finding_id = ref.finding_id


DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {REPORT_CLOCK: report_overdue}
