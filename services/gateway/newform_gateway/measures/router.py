"""`GET /v1/measures`: the measures' coverage table (the same as docs/measures.md and the `/measures` page)."""

from __future__ import annotations

from fastapi import APIRouter

from newform_common.errors import problem_responses

from ..access import Viewer
from .schemas import MeasureCoverage
from .service import coverage

router = APIRouter(prefix="/v1", tags=["measures"])


@router.get(
    "/measures",
    response_model=list[MeasureCoverage],
    responses=problem_responses(401, 403),
    summary="Each measure M1–M20: implemented, partly or pointed elsewhere; where (service: module), its rule ids, "
    "and for what is not implemented, why and where the system points instead",
)
async def list_measures(principal: Viewer):
    return list(coverage())
