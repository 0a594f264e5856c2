"""The gateway's HTTP API (/v1). Open to department, regulator and admin tokens only: a platform
(or any other role) gets 403 everywhere but its own webhooks. A department sees and acts on only the alerts routed to it
(others answer 404, as if they did not exist) and the aggregates; the regulator sees everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from newform_common.app import SessionDep, SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import Forbidden, problem_responses
from newform_common.idempotency import idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params

from . import queries, routing, service
from .alerts import ACKNOWLEDGED, COMMENTED, RESOLVED, Context
from .models import Enterprise
from .schemas import (
    AlertAcknowledge,
    AlertComment,
    AlertDetail,
    AlertPublic,
    AlertResolve,
    CreditRecordPublic,
    EnterprisePublic,
    Overview,
    PlatformDetail,
    PlatformSummary,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookRotate,
    WebhookSecretRotated,
    WorkerTimeline,
)
from .webhooks import key_id as webhook_key_id
from .webhooks import signing_secrets

AnyViewer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


async def scoped_viewer(principal: AnyViewer) -> Principal:
    """The caller, if it may use the gateway: the regulator, admin, or a department token that names its
    department (a district government's token also its district). The same refusal on every route."""
    if principal.role == Role.department and routing.department_key(principal) is None:
        raise Forbidden("A department token needs a department scope (a district government: "
                        "department=county with a district)")
    return principal


async def scoped_department(principal: Annotated[Principal, Depends(scoped_viewer)]) -> Principal:
    if principal.role != Role.department:
        raise Forbidden(f"This operation is not open to the {principal.role} role")
    return principal


Viewer = Annotated[Principal, Depends(scoped_viewer)]
Oversight = Annotated[Principal, require(Role.regulator, Role.admin)]
Department = Annotated[Principal, Depends(scoped_department)]

router = APIRouter(prefix="/v1")
ERRORS = problem_responses(401, 403, 422)


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


@router.get("/overview", tags=["overview"], response_model=Overview, responses=ERRORS,
            summary="Counts by district, occupation, engagement type; alerts by measure, department, status; "
                    "daily trends")
async def get_overview(session: SnapshotDep, principal: Viewer,
                       days: int = Query(30, ge=1, le=366, description="Days of daily trends")):
    return await queries.overview(session, principal, days=days)


@router.get("/alerts", tags=["alerts"], response_model=Page[AlertPublic], responses=ERRORS,
            summary="Alerts visible to the caller, newest first")
async def list_alerts(session: SnapshotDep, principal: Viewer, params: Annotated[PageParams, Depends(page_params)],
                      status: Literal["open", "acknowledged", "resolved"] | None = None,
                      measure: str | None = Query(None, pattern=r"^M([1-9]|1[0-9]|20)$"),
                      department: str | None = Query(None, max_length=60,
                                                     description="Department key, e.g. hrss or county:chengxi"),
                      platform_id: str | None = Query(None, max_length=100),
                      overdue: bool | None = None):
    return await queries.list_alerts(session, principal, params, status=status, measure=measure,
                                     department=department, platform_id=platform_id, overdue=overdue)


@router.get("/alerts/{alert_id}", tags=["alerts"], response_model=AlertDetail,
            responses=problem_responses(401, 403, 404), summary="One alert with its evidence and history")
async def get_alert(alert_id: str, session: SnapshotDep, principal: Viewer):
    alert = await queries.get_visible_alert(session, principal, alert_id)
    return await queries.alert_detail(session, alert)


@router.post("/alerts/{alert_id}/acknowledge", tags=["alerts"], response_model=AlertDetail,
             responses=problem_responses(401, 403, 404, 409, 422), summary="Acknowledge an open alert")
async def acknowledge_alert(alert_id: str, body: AlertAcknowledge, request: Request, session: SessionDep,
                            principal: Viewer):
    alert = await service.act_on_alert(session, principal, ctx_of(request), alert_id, action=ACKNOWLEDGED,
                                       note=body.note)
    return await queries.alert_detail(session, alert)


@router.post("/alerts/{alert_id}/comments", tags=["alerts"], response_model=AlertDetail,
             responses=problem_responses(401, 403, 404, 422),
             summary="Comment on an alert (any department it is routed to); the status is unchanged")
async def comment_on_alert(alert_id: str, body: AlertComment, request: Request, session: SessionDep,
                           principal: Viewer):
    alert = await service.act_on_alert(session, principal, ctx_of(request), alert_id, action=COMMENTED,
                                       note=body.note)
    return await queries.alert_detail(session, alert)


@router.post("/alerts/{alert_id}/resolve", tags=["alerts"], response_model=AlertDetail,
             responses=problem_responses(401, 403, 404, 409, 422),
             summary="Decide an alert (the measure's lead department only): confirmed, interviewed (约谈), "
                     "warned (警示), penalized (查处) — each may create a credit record — or dismissed")
async def resolve_alert(alert_id: str, body: AlertResolve, request: Request, session: SessionDep,
                        principal: Viewer):
    alert = await service.act_on_alert(session, principal, ctx_of(request), alert_id, action=RESOLVED,
                                       note=body.note, outcome=body.outcome)
    return await queries.alert_detail(session, alert)


@router.get("/platforms", tags=["platforms"], response_model=list[PlatformSummary], responses=ERRORS,
            summary="Every platform with its coverage and open findings")
async def list_platforms(session: SnapshotDep, principal: Viewer):
    return await queries.list_platforms(session)


@router.get("/platforms/{platform_id}", tags=["platforms"], response_model=PlatformDetail,
            responses=problem_responses(401, 403, 404), summary="A platform's numbers and its scorecard")
async def get_platform(platform_id: str, session: SnapshotDep, principal: Viewer):
    return await queries.platform_detail(session, platform_id)


@router.get("/platforms/{platform_id}/scorecard", tags=["platforms"], responses=problem_responses(401, 403, 404),
            summary="The platform's scorecard: five principles, 0–2 points each, or no_data")
async def get_scorecard(platform_id: str, session: SnapshotDep, principal: Viewer) -> dict:
    return (await queries.platform_detail(session, platform_id)).scorecard


@router.get("/enterprises", tags=["platforms"], response_model=Page[EnterprisePublic], responses=ERRORS,
            summary="Registered enterprises (platforms and cooperating enterprises)")
async def list_enterprises(session: SnapshotDep, principal: Viewer, params: Annotated[PageParams, Depends(page_params)],
                           platform_id: str | None = Query(None, max_length=100)):
    q = select(Enterprise).order_by(Enterprise.enterprise_id).limit(params.limit + 1)
    if platform_id:
        q = q.where(Enterprise.platform_id == platform_id)
    if params.after:
        q = q.where(Enterprise.enterprise_id > str(params.after[0]))
    items = [EnterprisePublic.model_validate(e) for e in (await session.execute(q)).scalars()]
    return page_of(items, params, lambda e: [e.enterprise_id])


@router.get("/workers/{worker_id}/timeline", tags=["workers"], response_model=WorkerTimeline,
            responses=problem_responses(401, 403, 404),
            summary="A worker's facts across platforms, by pseudonymous id (regulator only)")
async def get_worker_timeline(worker_id: str, session: SnapshotDep, principal: Oversight):
    return await queries.worker_timeline(session, worker_id)


@router.get("/credit-records", tags=["credit"], response_model=Page[CreditRecordPublic], responses=ERRORS,
            summary="Credit records (M6, M19) with their evidence chains, for sharing")
async def list_credit_records(session: SnapshotDep, principal: Viewer,
                              params: Annotated[PageParams, Depends(page_params)],
                              platform_id: str | None = Query(None, max_length=100)):
    return await queries.list_credit_records(session, params, platform_id=platform_id)


async def webhook_owner(
    principal: Annotated[Principal, require(Role.department, Role.platform, Role.regulator, Role.admin)],
) -> Principal:
    """Departments (with a usable department scope, as everywhere), platforms and oversight."""
    return await scoped_viewer(principal) if principal.role == Role.department else principal


async def webhook_subscriber(principal: Annotated[Principal, Depends(webhook_owner)]) -> Principal:
    if principal.role not in (Role.department, Role.platform):
        raise Forbidden(f"This operation is not open to the {principal.role} role")
    return principal


Subscriber = Annotated[Principal, Depends(webhook_subscriber)]
WebhookOwner = Annotated[Principal, Depends(webhook_owner)]


def webhook_public(hook, now: datetime | None = None) -> dict:
    keys = [webhook_key_id(s) for s in signing_secrets(hook, now or datetime.now(UTC))]
    return dict(id=hook.id, department=hook.department, platform_id=hook.platform_id, url=hook.url,
                active=hook.active, created_at=hook.created_at, key_ids=keys)


@router.post("/webhooks", tags=["webhooks"], status_code=201, response_model=WebhookCreated,
             responses=problem_responses(401, 403, 422),
             summary="Register a URL that receives alerts: a department's (routed to it) or a platform's (about it)")
async def register_webhook(body: WebhookCreate, request: Request, session: SessionDep, principal: Subscriber):
    async def produce() -> WebhookCreated:
        hook = await service.register_webhook(session, principal, body)
        return WebhookCreated(**webhook_public(hook), secret=hook.secret)

    return await idempotent(request, session, principal, body, produce)


@router.get("/webhooks", tags=["webhooks"], response_model=list[WebhookPublic], responses=ERRORS,
            summary="The caller's webhooks (all, for the regulator)")
async def list_webhooks(session: SnapshotDep, principal: WebhookOwner):
    return [WebhookPublic(**webhook_public(h)) for h in await service.list_webhooks(session, principal)]


@router.post("/webhooks/{webhook_id}/secret-rotation", tags=["webhooks"], response_model=WebhookSecretRotated,
             responses=problem_responses(401, 403, 404, 422),
             summary="Replace the signing secret; the previous one keeps signing for the grace period")
async def rotate_webhook_secret(webhook_id: int, body: WebhookRotate, session: SessionDep, principal: WebhookOwner):
    hook, secret = await service.rotate_webhook_secret(session, principal, webhook_id,
                                                       timedelta(hours=body.grace_period_hours))
    return WebhookSecretRotated(id=hook.id, secret=secret, key_ids=webhook_public(hook)["key_ids"],
                                previous_secret_expires_at=hook.previous_secret_expires_at)


OPENAPI_TAGS = [
    {"name": "overview", "description": "City-wide counts and trends"},
    {"name": "alerts", "description": "Alerts from findings, routed to the responsible departments (M16, M20)"},
    {"name": "platforms", "description": "Platforms, enterprises and scorecards"},
    {"name": "workers", "description": "Pseudonymous worker timelines"},
    {"name": "credit", "description": "Credit records (M6, M19)"},
    {"name": "webhooks", "description": "Alerts pushed to a URL, signed (Standard Webhooks): departments get the "
                                        "alerts routed to them, platforms the alerts about them"},
    {"name": "wages", "description": "Pay compliance, arrears and working time (M6, M7), from the wages service"},
    {"name": "disputes", "description": "Complaints, mediation and arbitration figures; escalations (M10, M18, M20)"},
]
