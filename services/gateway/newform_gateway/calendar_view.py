"""The calendar at the gateway: where the regulator loads a year's holiday schedule (the kit's
`calendar_api`), and what loading changed in every service — each recomputed clock arrives as a
`<service>.deadline.recomputed.v1` event and is kept in the event log, read here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import calendar, clock, schedules
from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.calendar_api import calendar_router
from newform_common.errors import problem_responses

from . import repository

RECOMPUTED_SUFFIX = ".deadline.recomputed.v1"


class RecomputedDeadline(BaseModel):
    service: str
    deadline_id: str
    kind: str
    subject_id: str
    previous_due_at: datetime
    due_at: datetime
    was_provisional: bool
    provisional: bool
    schedule_year: int
    time: datetime


async def recomputed(session: AsyncSession, year: int | None, limit: int) -> list[RecomputedDeadline]:
    rows = await repository.events_of_type_suffix(session, RECOMPUTED_SUFFIX, schedule_year=year, limit=limit)
    return [
        RecomputedDeadline(
            service=r.service,
            time=r.time,
            **{
                k: r.data[k]
                for k in (
                    "deadline_id",
                    "kind",
                    "subject_id",
                    "previous_due_at",
                    "due_at",
                    "was_provisional",
                    "provisional",
                    "schedule_year",
                )
            },
        )
        for r in rows
    ]


router = APIRouter(prefix="/v1/calendar", tags=["calendar"])


@router.get(
    "/recomputed",
    response_model=list[RecomputedDeadline],
    responses=problem_responses(401, 403),
    summary="Legal clocks every service recomputed when a year's holiday schedule was loaded",
)
async def list_recomputed(
    session: SnapshotDep,
    principal: Annotated[Principal, require(Role.department, Role.regulator, Role.admin)],
    year: Annotated[int | None, Query(ge=1950, le=2199)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    return await recomputed(session, year, limit)


routers = [calendar_router(), router]


def coverage_banner(lang: str) -> str | None:
    """The dashboard's warning while the schedules run out within 60 days (or have run out)."""
    ok, _ = schedules.coverage_check()
    if ok:
        return None
    last, left = calendar.coverage()
    if lang == "en":
        if left < 0:
            return (
                f"No State Council holiday schedule for {clock.today().year} is loaded: legal periods count "
                "weekends and statutory holidays only and are marked provisional until it is loaded."
            )
        return (
            f"The loaded holiday schedules end on {last.isoformat()} ({left} days): load next year's State "
            "Council schedule (newform calendar load FILE, or PUT /v1/calendar/schedules/{year})."
        )
    if left < 0:
        return (
            f"{clock.today().year}年国务院节假日安排尚未载入：法定期间暂按周末和法定节假日计算并标注“暂定”，"
            "载入后自动重新计算。"
        )
    return (
        f"已载入的节假日安排只覆盖到{last.isoformat()}（还剩{left}天）：请载入国务院发布的下一年度节假日安排"
        "（newform calendar load 文件，或 PUT /v1/calendar/schedules/{年份}）。"
    )
