"""The wages API (`/v1/wages`): pay compliance, arrears, working time. Aggregates only: no worker is
named here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses

from . import service
from .schemas import Arrears, PayCompliance, WorkingTime

Viewer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]
MONTH = Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="A month, YYYY-MM (period end)")

router = APIRouter(prefix="/v1/wages", tags=["wages"])


@router.get(
    "/compliance",
    response_model=list[PayCompliance],
    responses=problem_responses(401, 403, 422),
    summary="Pay compliance per platform and month: minimum wage met, paid on time, breaches",
)
async def get_pay_compliance(
    session: SnapshotDep,
    principal: Viewer,
    platform_id: Annotated[str | None, Query(max_length=100)] = None,
    month: Annotated[str | None, MONTH] = None,
):
    return await service.pay_compliance(session, platform_id, month)


@router.get(
    "/arrears",
    response_model=Arrears,
    responses=problem_responses(401, 403),
    summary="Wage arrears by district and occupation (cases, amount, workers) and per month",
)
async def get_arrears(session: SnapshotDep, principal: Viewer):
    return await service.arrears(session)


@router.get(
    "/working-time",
    response_model=WorkingTime,
    responses=problem_responses(401, 403),
    summary="Working time over the limits (across platforms) and quota results",
)
async def get_working_time(session: SnapshotDep, principal: Viewer):
    return await service.working_time(session)
