"""HTTP of classification: the suggested engagement type with a reason per criterion (M1, M2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from newform_common.auth import Principal, require
from newform_common.errors import problem_responses

from . import service
from .schemas import ClassificationPublic, EngagementFactsIn

router = APIRouter(prefix="/v1")


@router.post(
    "/classifications",
    tags=["classification"],
    response_model=ClassificationPublic,
    responses=problem_responses(401, 422),
    summary="Suggest the engagement type from the facts (M1, M2); stores nothing",
)
async def classify_engagement(body: EngagementFactsIn, principal: Annotated[Principal, require()]):
    result = service.classify(body)
    return ClassificationPublic(
        suggested_type=result.suggested_type, measure=result.measure, criteria=[c.__dict__ for c in result.criteria]
    )
