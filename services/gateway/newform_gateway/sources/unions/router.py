"""The unions API: `GET /v1/unions/subjects`, `GET /v1/unions/coverage`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.pagination import Page, PageParams, page_params

from ...access import ERRORS, Viewer
from .schemas import UnionCoveragePublic, UnionsSubjectPublic
from .service import By, coverage, coverage_scope, subjects

router = APIRouter(prefix="/v1", tags=["unions"])

#: Coverage is open to a platform too, for its own figure (`service.coverage_scope` narrows every caller).
CoverageReader = Annotated[Principal, require(Role.department, Role.regulator, Role.admin, Role.platform)]


@router.get(
    "/unions/subjects",
    response_model=Page[UnionsSubjectPublic],
    responses=ERRORS,
    summary="unions: each subject's latest event",
)
async def list_unions_subjects(
    session: SnapshotDep,
    principal: Viewer,
    params: Annotated[PageParams, Depends(page_params)],
    platform_id: str | None = Query(None, max_length=100),
):
    return await subjects(session, params, platform_id=platform_id)


@router.get(
    "/unions/coverage",
    response_model=UnionCoveragePublic,
    responses=problem_responses(401, 403, 422),
    summary="Union coverage (M17): members over registered workers per district or per platform, counts only",
    description=(
        "Registered workers: people with an active registration with a platform (contracts' events), each in "
        "the residence district of their latest active registration; members: those of them holding an active "
        "union membership. The total row is the sum of the rows (per platform a person registered with two "
        "platforms counts in both). A district government sees its district's workers only; a platform its own "
        "figure only (by=platform)."
    ),
)
async def union_coverage(
    session: SnapshotDep,
    principal: CoverageReader,
    by: Annotated[By, Query(description="district or platform")] = "district",
):
    return await coverage(session, coverage_scope(principal, by), by)
