"""The departments API: `GET /v1/department-facts/summary`, `GET /v1/rest-stations/coverage`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses

from .schemas import DepartmentsSummary, RestStationCoverage
from .service import rest_station_coverage, summary

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
