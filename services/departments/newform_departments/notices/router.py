"""HTTP only for notices (M11, M12, M15): departments publish their own; a worker reads theirs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent

from .. import service as facts_service
from . import service
from .schemas import NoticeIn, NoticePublic

router = APIRouter(prefix="/v1", tags=["notices"])

Publisher = Annotated[Principal, require(Role.department)]
Reader = Annotated[Principal, require(Role.worker, Role.department, Role.regulator, Role.admin)]
WRITE = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "/notices",
    status_code=201,
    response_model=NoticePublic,
    responses=WRITE,
    summary="Publish a notice for workers (job fairs, recruitment-trap warnings, the complaint hotline: M11; "
    "insurance enrolment and look-up: M12; schooling, culture and sports venues: M15) — by the measure's "
    "units, a district government to its district only; the same reference again restates it",
    **HONOURS_KEY,
)
async def publish_notice(body: NoticeIn, request: Request, session: SessionDep, principal: Publisher):
    async def produce():
        notice = await service.publish(session, principal, body)
        facts_service.audit(session, principal, "write", f"notice {notice.id} {notice.status}", notice.measure)
        return notice

    return await idempotent(request, session, principal, body, produce)


@router.put("/notices/{notice_id}", response_model=NoticePublic, responses=WRITE, summary="Restate your notice")
async def restate_notice(
    notice_id: Annotated[str, Path(max_length=40)], body: NoticeIn, session: SessionDep, principal: Publisher
):
    notice = await service.restate(session, principal, notice_id, body)
    facts_service.audit(session, principal, "write", f"notice {notice.id} {notice.status}", notice.measure)
    return notice


@router.get(
    "/notices",
    response_model=list[NoticePublic],
    responses=problem_responses(401, 403, 422),
    summary="A worker's notices: valid today, for their district and occupations (from their registrations); "
    "a department's own; all for the regulator",
)
async def list_notices(session: SessionDep, principal: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    return await service.listed(session, principal, limit)
