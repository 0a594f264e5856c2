"""The unions API: `GET /v1/unions/subjects`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from newform_common.app import SnapshotDep
from newform_common.pagination import Page, PageParams, page_params

from ...access import ERRORS, Viewer
from .schemas import UnionsSubjectPublic
from .service import subjects

router = APIRouter(prefix="/v1", tags=["unions"])


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
