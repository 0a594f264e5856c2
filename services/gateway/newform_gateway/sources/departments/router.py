"""The departments API: `GET /v1/department-facts/summary`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses

from .schemas import DepartmentsSummary
from .service import summary

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
