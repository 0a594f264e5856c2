"""The alerts API (`/v1/alerts`): alerts visible to the caller, one with its history, and the steps on
it — acknowledge, comment, decide (M16, M20). A department sees and acts on only the alerts routed to
it (others answer 404, as if they did not exist); the regulator sees everything."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from newform_common.app import SessionDep, SnapshotDep
from newform_common.errors import problem_responses
from newform_common.idempotency import HONOURS_KEY, idempotent
from newform_common.pagination import Page, PageParams, page_params

from ..access import ERRORS, Viewer
from ..projections.base import Context
from . import repository, service
from .models import ACKNOWLEDGED, COMMENTED, RESOLVED
from .schemas import AlertAcknowledge, AlertComment, AlertDetail, AlertPublic, AlertResolve

router = APIRouter(prefix="/v1")


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


@router.get(
    "/alerts",
    tags=["alerts"],
    response_model=Page[AlertPublic],
    responses=ERRORS,
    summary="Alerts visible to the caller, newest first",
)
async def list_alerts(
    session: SnapshotDep,
    principal: Viewer,
    params: Annotated[PageParams, Depends(page_params)],
    status: Literal["open", "acknowledged", "resolved"] | None = None,
    measure: str | None = Query(None, pattern=r"^M([1-9]|1[0-9]|20)$"),
    department: str | None = Query(None, max_length=60, description="Department key, e.g. hrss or county:chengxi"),
    platform_id: str | None = Query(None, max_length=100),
    overdue: bool | None = None,
    district: str | None = Query(None, max_length=40, description="District code of the alert's subject, e.g. chengxi"),
    month: str | None = Query(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Raised in this month (YYYY-MM, Asia/Shanghai)"
    ),
):
    return await service.list_alerts(
        session,
        principal,
        params,
        status=status,
        measure=measure,
        department=department,
        platform_id=platform_id,
        overdue=overdue,
        district=district,
        month=month,
    )


@router.get(
    "/alerts/{alert_id}",
    tags=["alerts"],
    response_model=AlertDetail,
    responses=problem_responses(401, 403, 404),
    summary="One alert with its evidence and history",
)
async def get_alert(alert_id: str, session: SnapshotDep, principal: Viewer):
    alert = await repository.get_visible_alert(session, principal, alert_id)
    return await service.alert_detail(session, alert)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    tags=["alerts"],
    response_model=AlertDetail,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Acknowledge an open alert",
    **HONOURS_KEY,
)
async def acknowledge_alert(
    alert_id: str, body: AlertAcknowledge, request: Request, session: SessionDep, principal: Viewer
):
    async def produce():
        alert = await service.act_on_alert(
            session, principal, ctx_of(request), alert_id, action=ACKNOWLEDGED, note=body.note
        )
        return await service.alert_detail(session, alert)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/alerts/{alert_id}/comments",
    tags=["alerts"],
    response_model=AlertDetail,
    responses=problem_responses(401, 403, 404, 422),
    summary="Comment on an alert (any department it is routed to); the status is unchanged",
    **HONOURS_KEY,
)
async def comment_on_alert(alert_id: str, body: AlertComment, request: Request, session: SessionDep, principal: Viewer):
    async def produce():
        alert = await service.act_on_alert(
            session, principal, ctx_of(request), alert_id, action=COMMENTED, note=body.note
        )
        return await service.alert_detail(session, alert)

    # A retried comment (or decision) with the same Idempotency-Key is answered once, recorded once.
    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.post(
    "/alerts/{alert_id}/resolve",
    tags=["alerts"],
    response_model=AlertDetail,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Decide an alert (the measure's lead department only): confirmed, interviewed (约谈), "
    "warned (警示), penalized (查处) — each may create a credit record — or dismissed",
    **HONOURS_KEY,
)
async def resolve_alert(alert_id: str, body: AlertResolve, request: Request, session: SessionDep, principal: Viewer):
    async def produce():
        alert = await service.act_on_alert(
            session, principal, ctx_of(request), alert_id, action=RESOLVED, note=body.note, outcome=body.outcome
        )
        return await service.alert_detail(session, alert)

    return await idempotent(request, session, principal, body, produce, status_code=200)
