"""The contracts slice's API: registered enterprises (`GET /v1/enterprises`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from newform_common.app import SnapshotDep
from newform_common.pagination import Page, PageParams, page_of, page_params

from ...access import ERRORS, Viewer
from . import repository
from .schemas import EnterprisePublic

router = APIRouter(prefix="/v1")


@router.get(
    "/enterprises",
    tags=["platforms"],
    response_model=Page[EnterprisePublic],
    responses=ERRORS,
    summary="Registered enterprises (platforms and cooperating enterprises)",
)
async def list_enterprises(
    session: SnapshotDep,
    principal: Viewer,
    params: Annotated[PageParams, Depends(page_params)],
    platform_id: str | None = Query(None, max_length=100),
):
    rows = await repository.enterprises_page(session, params, platform_id=platform_id)
    items = [EnterprisePublic.model_validate(e) for e in rows]
    return page_of(items, params, lambda e: [e.enterprise_id])
