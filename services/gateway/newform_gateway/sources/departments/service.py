"""Facts held by departments for the regulator (M3, M9, M18–M20): what each department stated, and
what stands out — workers not enrolled, dispatch licences no longer valid, enterprises unqualified,
arrears confirmed by inspection, case outcomes.

Fed by `projection.py` from `departments.events`: one row per fact, its latest version.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.auth import Principal
from newform_common.policy import business_today, get_policy

from . import repository
from .schemas import CountRow, DepartmentsSummary, LicenceRow, RestStationCoverage, SourceRow, StationDistrictRow


async def summary(session: AsyncSession, today: date | None = None) -> DepartmentsSummary:
    today = today or business_today()
    by_source = await repository.facts_by_source(session)
    not_enrolled = await repository.not_enrolled_by_type(session)
    licences = await repository.licences_invalid(session, today)
    unqualified = await repository.enterprises_unqualified(session)
    arrears = await repository.arrears_confirmed_fen(session)
    outcomes = await repository.case_outcomes(session)
    return DepartmentsSummary(
        by_source=[SourceRow(department=r[0], kind=r[1], facts=r[2], last_observed_at=r[3]) for r in by_source],
        not_enrolled_by_type=[CountRow(key=r[0], count=r[1]) for r in not_enrolled],
        licences_invalid=[
            LicenceRow(
                licence_number=x.fields["licence_number"],
                holder_credit_code=x.fields["holder_credit_code"],
                holder_name=x.fields.get("holder_name"),
                invalid_from=date.fromordinal(date.fromisoformat(x.fields["effective_until"]).toordinal() + 1),
                revoked=x.fields.get("revoked_on") is not None,
            )
            for x in licences
        ],
        enterprises_unqualified=unqualified or 0,
        arrears_confirmed_fen=arrears or 0,
        case_outcomes=[CountRow(key=r[0], count=r[1]) for r in outcomes],
    )


def _row(district: str | None, stations: int, workers: int, reports: tuple | None) -> StationDistrictRow:
    counts = list(reports[1:6]) if reports else [0, 0, 0, 0, 0]
    median = reports[6] if reports else None
    return StationDistrictRow(
        district=district,
        stations=stations,
        registered_workers=workers,
        workers_per_station=round(workers / stations, 1) if stations else None,
        reports=counts[0],
        open=counts[1],
        open_overdue=counts[2],
        handled=counts[3],
        handled_late=counts[4],
        median_handling_hours=round(float(median) / 3600, 1) if median is not None else None,
    )


async def rest_station_coverage(
    session: AsyncSession, principal: Principal, now: datetime | None = None
) -> RestStationCoverage:
    """Per district of the vocabulary: stations, registered workers (each once, in the residence district of
    their latest active registration), workers per station, reports and how they were handled (M14). A
    district government sees its own district only. Counts add up to the total row; the total's median is
    over all handled reports (a median does not add up)."""
    now = now or clock.now()
    districts = list(get_policy().districts(business_today()))
    stations = await repository.stations_by_district(session)
    workers = await repository.registered_workers_by_district(session)
    reports = {r[0]: tuple(r) for r in await repository.reports_by_district(session, now)}
    keys: list[str | None] = [*districts, *sorted(k for k in {*stations, *workers, *reports} - {*districts, None} if k)]
    if workers.get(None) or None in reports:
        keys.append(None)
    one_district = principal.department == "county" and principal.district
    if one_district:
        keys = [principal.district]
    rows = [_row(k, stations.get(k or "", 0), workers.get(k, 0), reports.get(k)) for k in keys]
    if one_district:
        median = reports[principal.district][6] if principal.district in reports else None
    else:
        overall = await repository.reports_by_district(session, now, grouped=False)
        median = overall[0][6] if overall else None
    totals = [sum(getattr(r, f) for r in rows) for f in ("reports", "open", "open_overdue", "handled", "handled_late")]
    total = _row(None, sum(r.stations for r in rows), sum(r.registered_workers for r in rows), (None, *totals, median))
    return RestStationCoverage(
        rows=rows, total=total, districts_without_station=[r.district for r in rows if r.district and not r.stations]
    )
