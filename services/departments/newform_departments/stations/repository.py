"""Every query of the rest-station registry and its reports."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from .models import ReportStatus, RestStation, StationReport
from .rules import EARTH_RADIUS_M


async def station(session: AsyncSession, station_id: str, *, for_update: bool = False) -> RestStation | None:
    query = select(RestStation).where(RestStation.id == station_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def by_reference(session: AsyncSession, keeper: str, reference: str) -> RestStation | None:
    query = (
        select(RestStation).where(RestStation.keeper == keeper, RestStation.reference == reference).with_for_update()
    )
    return (await session.scalars(query)).first()


def _distance(lat: float, lon: float):
    """Haversine in SQL, metres. A city keeps hundreds of stations, not millions: a scan sorted by this
    expression is a few milliseconds; a spatial index (PostGIS) would be the step at another scale."""
    dlat = func.radians(col(RestStation.lat) - lat) / 2
    dlon = func.radians(col(RestStation.lon) - lon) / 2
    a = func.power(func.sin(dlat), 2) + func.cos(func.radians(lat)) * func.cos(
        func.radians(col(RestStation.lat))
    ) * func.power(func.sin(dlon), 2)
    return 2 * EARTH_RADIUS_M * func.asin(func.sqrt(a))


async def near(
    session: AsyncSession, lat: float, lon: float, *, amenities: list[str], within_m: float | None
) -> list[tuple[RestStation, float]]:
    """Stations with all of `amenities`, nearest first (with their distance), optionally within `within_m`."""
    distance = _distance(lat, lon).label("distance_m")
    query = select(RestStation, distance).order_by(distance, RestStation.id)
    if amenities:
        query = query.where(col(RestStation.amenities).contains(amenities))
    if within_m is not None:
        query = query.where(_distance(lat, lon) <= within_m)
    return [(s, float(d)) for s, d in (await session.execute(query)).all()]


async def stations(session: AsyncSession, *, keeper: str | None, district: str | None) -> list[RestStation]:
    query = select(RestStation).order_by(RestStation.district, RestStation.name, RestStation.id)
    if keeper is not None:
        query = query.where(RestStation.keeper == keeper)
    if district is not None:
        query = query.where(RestStation.district == district)
    return list((await session.scalars(query)).all())


async def report(session: AsyncSession, report_id: str, *, for_update: bool = False) -> StationReport | None:
    query = select(StationReport).where(StationReport.id == report_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def reports(
    session: AsyncSession, *, keeper: str | None, status: ReportStatus | None, limit: int
) -> list[tuple[StationReport, str]]:
    """Reports with their station's name, newest first; a keeper's own, or all."""
    query = (
        select(StationReport, RestStation.name)
        .join(RestStation, col(RestStation.id) == col(StationReport.station_id))
        .order_by(col(StationReport.reported_at).desc(), col(StationReport.id).desc())
        .limit(limit)
    )
    if keeper is not None:
        query = query.where(StationReport.keeper == keeper)
    if status is not None:
        query = query.where(StationReport.status == status)
    return [(r, str(n)) for r, n in (await session.execute(query)).all()]
