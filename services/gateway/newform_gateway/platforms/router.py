"""The platforms API (`/v1/platforms`): every platform with its coverage and open findings, one
platform's numbers and its scorecard."""

from __future__ import annotations

from fastapi import APIRouter

from newform_common.app import SnapshotDep
from newform_common.errors import problem_responses

from ..access import ERRORS, Viewer
from . import service
from .schemas import PlatformDetail, PlatformSummary

router = APIRouter(prefix="/v1")


@router.get(
    "/platforms",
    tags=["platforms"],
    response_model=list[PlatformSummary],
    responses=ERRORS,
    summary="Every platform with its coverage and open findings",
)
async def list_platforms(session: SnapshotDep, principal: Viewer):
    return await service.list_platforms(session)


@router.get(
    "/platforms/{platform_id}",
    tags=["platforms"],
    response_model=PlatformDetail,
    responses=problem_responses(401, 403, 404),
    summary="A platform's numbers and its scorecard",
)
async def get_platform(platform_id: str, session: SnapshotDep, principal: Viewer):
    return await service.platform_detail(session, platform_id)


@router.get(
    "/platforms/{platform_id}/scorecard",
    tags=["platforms"],
    responses=problem_responses(401, 403, 404),
    summary="The platform's scorecard: five principles, 0–2 points each, or no_data",
)
async def get_scorecard(platform_id: str, session: SnapshotDep, principal: Viewer) -> dict:
    return (await service.platform_detail(session, platform_id)).scorecard
