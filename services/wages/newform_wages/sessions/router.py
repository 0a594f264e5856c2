"""HTTP of work sessions: uploads and single sessions, reads, and a worker's working time per day."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.errors import Forbidden, problem_responses
from newform_common.idempotency import idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params
from newform_common.scope import visibility

from .. import intake
from ..batches.router import batch_body, single_outcome, upload
from ..batches.schemas import BatchPublic
from ..routing import WRITE_ERRORS, Platform, Reader
from ..rules import add_months
from . import repository as repo
from . import service
from .schemas import HoursDay, HoursSummary, SessionIn, SessionPublic

router = APIRouter(prefix="/v1")

SESSIONS_CSV_EXAMPLE = (
    "行标识,劳动者编号,合同编号,岗位,上线时间,下线时间,接单时长(分钟),完成单数,平台要求在线\n"
    "s-2024-03-04-1,w_abc123,ct_0001,rider,2024-03-04T08:00:00+08:00,2024-03-04T12:00:00+08:00,180,18,是\n"
    "s-2024-03-04-2,w_abc123,ct_0001,rider,2024-03-04T12:30:00+08:00,2024-03-04T16:00:00+08:00,150,15,是\n"
)


SESSIONS_JSONL_EXAMPLE = (
    '{"line_id": "s-2024-03-04-1", "worker_id": "w_abc123", "contract_id": "ct_0001", "post": "rider", '
    '"started_at": "2024-03-04T08:00:00+08:00", "ended_at": "2024-03-04T12:00:00+08:00", "order_minutes": 180, '
    '"orders_completed": 18}\n'
)


@router.post(
    "/sessions/batches",
    tags=["sessions"],
    status_code=201,
    response_model=BatchPublic,
    responses=WRITE_ERRORS,
    openapi_extra=batch_body(SessionIn, SESSIONS_CSV_EXAMPLE, SESSIONS_JSONL_EXAMPLE),
    summary="Upload up to 10,000 work sessions (JSON lines, CSV or JSON); each bad line its own error",
)
async def upload_sessions(request: Request, session: SessionDep, principal: Platform):
    return await upload(request, session, principal, intake.SESSION_HEADERS, service.intake_sessions)


@router.post(
    "/sessions",
    tags=["sessions"],
    status_code=201,
    response_model=SessionPublic,
    responses=WRITE_ERRORS,
    summary="Report one work session",
)
async def create_session(body: SessionIn, request: Request, session: SessionDep, principal: Platform):
    async def produce():
        batch = await service.intake_sessions(
            session, principal.platform_id, [intake.RawLine(1, body.model_dump(mode="json"))], "json"
        )
        single_outcome(batch)
        row = await repo.session_by_line(session, principal.platform_id, body.line_id)
        return _session_public(row)

    return await idempotent(request, session, principal, body, produce)


def _session_public(row: dict[str, Any]) -> SessionPublic:
    return SessionPublic(
        session_id=row["id"],
        **{
            k: row[k]
            for k in (
                "line_id",
                "platform_id",
                "worker_id",
                "post",
                "started_at",
                "ended_at",
                "work_date",
                "working_minutes",
                "orders_completed",
            )
        },
    )


@router.get(
    "/sessions",
    tags=["sessions"],
    response_model=Page[SessionPublic],
    responses=problem_responses(401, 403),
    summary="Work sessions (a platform its own, a worker theirs on every platform)",
)
async def list_sessions(
    session: SessionDep,
    principal: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    worker_id: Annotated[str | None, Query(max_length=64)] = None,
    work_date: date | None = None,
):
    rows = await repo.visible_sessions(session, principal, params, worker_id=worker_id, work_date=work_date)
    return page_of([_session_public(r) for r in rows], params, lambda s: [s.session_id])


@router.get(
    "/workers/{worker_id}/hours",
    tags=["sessions"],
    response_model=HoursSummary,
    responses=problem_responses(401, 403, 422),
    summary="A worker's working time per day in a month (a platform sees only its own share)",
)
async def worker_hours(
    worker_id: Annotated[str, Path(max_length=64)],
    session: SessionDep,
    principal: Reader,
    month: Annotated[str, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", examples=["2024-03"])],
):
    view = visibility(principal)
    if view.worker_id is not None and view.worker_id != worker_id:
        raise Forbidden("A worker sees only their own hours")
    if view.nothing:
        raise Forbidden("This token cannot read working time")
    start = date.fromisoformat(f"{month}-01")
    end = add_months(start, 1)
    rows = await repo.hours_by_day(session, worker_id, start, end, view.platform_id)
    days: dict[date, dict[str, int]] = {}
    for r in rows:
        days.setdefault(r["work_date"], {})[r["platform_id"]] = r["minutes"]
    out = [HoursDay(work_date=d, minutes=sum(p.values()), by_platform=p) for d, p in sorted(days.items())]
    return HoursSummary(worker_id=worker_id, month=month, total_minutes=sum(d.minutes for d in out), days=out)
