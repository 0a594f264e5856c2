"""The training API: `GET /v1/training/summary` (M13)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses

from .schemas import TrainingSummary
from .service import summary

router = APIRouter(prefix="/v1", tags=["training"])
Readers = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


@router.get(
    "/training/summary",
    response_model=TrainingSummary,
    responses=problem_responses(401, 403),
    summary="Skills subsidies (M13): paid by district, occupation, level and channel; budget use; refusals",
)
async def get_training_summary(
    session: SnapshotDep, principal: Readers, year: Annotated[int | None, Query(ge=2022, le=2100)] = None
):
    return await summary(session, year)
