"""HTTP of quotas: declaring one, and judging it on a day's sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from newform_common.app import SessionDep
from newform_common.errors import Unprocessable
from newform_common.idempotency import HONOURS_KEY, idempotent

from ..routing import RESOURCE_WRITE_ERRORS, WRITE_ERRORS, Platform, Reader
from . import repository as repo
from . import service
from .schemas import AssessmentRequest, QuotaAssessment, QuotaCreate, QuotaPublic

router = APIRouter(prefix="/v1")


@router.post(
    "/quotas",
    tags=["quotas"],
    status_code=201,
    response_model=QuotaPublic,
    responses=WRITE_ERRORS,
    summary="Declare a labour quota (orders per day) for a post",
)
async def declare_quota(body: QuotaCreate, request: Request, session: SessionDep, principal: Platform):
    async def produce():
        row = await service.declare_quota(session, principal.platform_id, body)
        return QuotaPublic(quota_id=row["id"], platform_id=principal.platform_id, **body.model_dump())

    return await idempotent(request, session, principal, body, produce)


@router.post(
    "/quotas/{quota_id}/assessments",
    tags=["quotas"],
    response_model=QuotaAssessment,
    responses=RESOURCE_WRITE_ERRORS,
    summary="Judge a quota on one day's sessions: share of workers reaching it",
    **HONOURS_KEY,
)
async def assess_quota(
    quota_id: Annotated[str, Path(max_length=40)],
    body: AssessmentRequest,
    request: Request,
    session: SessionDep,
    principal: Reader,
):
    async def produce():
        quota = await repo.visible_quota(session, principal, quota_id)
        outcome = await service.assess_quota(session, quota.platform_id, quota.post, body.work_date)
        if outcome is None:
            raise Unprocessable(f"The quota is not in effect on {body.work_date}", slug="quota-not-in-effect")
        _, ref, result = outcome
        return QuotaAssessment(
            quota_id=quota_id,
            post=quota.post,
            work_date=body.work_date,
            workers=result.workers,
            reaching=result.reaching,
            met=result.finding is None,
            finding=ref,
        )

    return await idempotent(request, session, principal, body, produce, status_code=200)
