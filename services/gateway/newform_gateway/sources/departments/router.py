"""The departments API: `GET /v1/department-facts/summary`, `GET /v1/rest-stations/coverage`,
`GET /v1/weather-warnings`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses

from .schemas import DepartmentsSummary, RestStationCoverage, WeatherWarningsView
from .service import rest_station_coverage, summary
from .weather import WeatherFilters, weather_view

router = APIRouter(prefix="/v1", tags=["departments"])
Readers = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


@router.get(
    "/department-facts/summary",
    response_model=DepartmentsSummary,
    responses=problem_responses(401, 403),
    summary="Facts held by departments: per source, workers not enrolled, licences no longer valid, "
    "unqualified enterprises, arrears confirmed, case outcomes",
)
async def get_department_facts_summary(session: SnapshotDep, principal: Readers):
    return await summary(session)


@router.get(
    "/rest-stations/coverage",
    response_model=RestStationCoverage,
    responses=problem_responses(401, 403),
    summary="Rest stations (M14) per district against registered workers, districts without a station, workers' "
    "reports and how fast they were handled",
    description=(
        "Registered workers: people with an active registration with a platform, each in the residence district "
        "of their latest active registration (as union coverage counts them). Reports: open, open past their "
        "handling deadline, handled, handled after it, and the median handling time in hours. Counts add up to "
        "the total row; the total's median is over all handled reports. A district government sees its district."
    ),
)
async def get_rest_station_coverage(session: SnapshotDep, principal: Readers):
    return await rest_station_coverage(session, principal)


@router.get(
    "/weather-warnings",
    response_model=WeatherWarningsView,
    responses=problem_responses(401, 403, 422),
    summary="Bad-weather warnings (M8) per district: level and window, the platforms' declared responses, the "
    "platforms that declared none by the due time, and the M8 findings about each warning",
    description=(
        "Warnings as the emergency department last stated them (window: `starts_at` to the earlier of `ends_at` "
        "and `cancelled_at`), latest first. `responses`: contracts' declared responses (dispatch limited, "
        "suspended or unchanged; completion times extended by minutes), `in_time` against the response due time "
        "(contracts' definition, from the policy). `not_responded`: platforms for which contracts' response clock "
        "fired (`M8.weather_no_response`). `findings`: M8 findings naming the warning, by rule. `since`/`until` "
        "select warnings whose window meets those business days. The regulator and M8's units; a district "
        "government its district."
    ),
)
async def get_weather_warnings(
    session: SnapshotDep,
    principal: Readers,
    district: Annotated[str | None, Query(max_length=32)] = None,
    level: Literal["blue", "yellow", "orange", "red"] | None = None,
    hazard: Literal["snow", "ice", "rainstorm", "high_wind", "heat", "sandstorm"] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    return await weather_view(session, principal, WeatherFilters(district, level, hazard, since, until, limit))
