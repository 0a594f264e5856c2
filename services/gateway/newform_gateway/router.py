"""The gateway's HTTP API (/v1). Open to department, regulator and admin tokens only: a platform
(or any other role) gets 403 everywhere but its own webhooks. A department sees and acts on only the alerts routed to it
(others answer 404, as if they did not exist) and the aggregates; the regulator sees everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import select

from newform_common.app import SessionDep, SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import Conflict, Forbidden, NotFound, Unprocessable, problem_responses
from newform_common.idempotency import HONOURS_KEY, REPLAY_HEADER, IdempotencyRecord, idempotent, idempotent_request
from newform_common.pagination import Page, PageParams, page_of, page_params
from newform_common.responses import FastJSONResponse

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
    WebhookDeliveryPublic,
    WebhookPublic,
    WebhookRotate,
    WebhookSecretRotated,
    WebhookUpdate,
    WorkerTimeline,
)
from .webhooks import key_id as webhook_key_id
from .webhooks import signing_secrets

AnyViewer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


async def scoped_viewer(principal: AnyViewer) -> Principal:
    """The caller, if it may use the gateway: the regulator, admin, or a department token that names its
    department (a district government's token also its district). The same refusal on every route."""
    if principal.role == Role.department and routing.department_key(principal) is None:
        raise Forbidden(
            "A department token needs a department scope (a district government: department=county with a district)"
        )
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


@router.get(
    "/overview",
    tags=["overview"],
    response_model=Overview,
    responses=ERRORS,
    summary="Counts by district, occupation, engagement type; alerts by measure, department, status; daily trends",
)
async def get_overview(
    session: SnapshotDep, principal: Viewer, days: int = Query(30, ge=1, le=366, description="Days of daily trends")
):
    return await queries.overview(session, principal, days=days)


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
):
    return await queries.list_alerts(
        session,
        principal,
        params,
        status=status,
        measure=measure,
        department=department,
        platform_id=platform_id,
        overdue=overdue,
    )


@router.get(
    "/alerts/{alert_id}",
    tags=["alerts"],
    response_model=AlertDetail,
    responses=problem_responses(401, 403, 404),
    summary="One alert with its evidence and history",
)
async def get_alert(alert_id: str, session: SnapshotDep, principal: Viewer):
    alert = await queries.get_visible_alert(session, principal, alert_id)
    return await queries.alert_detail(session, alert)


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
        return await queries.alert_detail(session, alert)

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
        return await queries.alert_detail(session, alert)

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
        return await queries.alert_detail(session, alert)

    return await idempotent(request, session, principal, body, produce, status_code=200)


@router.get(
    "/platforms",
    tags=["platforms"],
    response_model=list[PlatformSummary],
    responses=ERRORS,
    summary="Every platform with its coverage and open findings",
)
async def list_platforms(session: SnapshotDep, principal: Viewer):
    return await queries.list_platforms(session)


@router.get(
    "/platforms/{platform_id}",
    tags=["platforms"],
    response_model=PlatformDetail,
    responses=problem_responses(401, 403, 404),
    summary="A platform's numbers and its scorecard",
)
async def get_platform(platform_id: str, session: SnapshotDep, principal: Viewer):
    return await queries.platform_detail(session, platform_id)


@router.get(
    "/platforms/{platform_id}/scorecard",
    tags=["platforms"],
    responses=problem_responses(401, 403, 404),
    summary="The platform's scorecard: five principles, 0–2 points each, or no_data",
)
async def get_scorecard(platform_id: str, session: SnapshotDep, principal: Viewer) -> dict:
    return (await queries.platform_detail(session, platform_id)).scorecard


@router.get(
    "/enterprises",
    tags=["platforms"],
    response_model=Page[EnterprisePublic],
    responses=ERRORS,
    summary="Registered enterprises (platforms and cooperating enterprises)",
)
async def list_enterprises(
    session: SnapshotDep,
    principal: Viewer,
    params: Annotated[PageParams, Depends(page_params)],
    platform_id: str | None = Query(None, max_length=100),
):
    q = select(Enterprise).order_by(Enterprise.enterprise_id).limit(params.limit + 1)
    if platform_id:
        q = q.where(Enterprise.platform_id == platform_id)
    if params.after:
        q = q.where(Enterprise.enterprise_id > str(params.after[0]))
    items = [EnterprisePublic.model_validate(e) for e in (await session.execute(q)).scalars()]
    return page_of(items, params, lambda e: [e.enterprise_id])


@router.get(
    "/workers/{worker_id}/timeline",
    tags=["workers"],
    response_model=WorkerTimeline,
    responses=problem_responses(401, 403, 404),
    summary="A worker's facts across platforms, by pseudonymous id (regulator only)",
)
async def get_worker_timeline(worker_id: str, session: SnapshotDep, principal: Oversight):
    return await queries.worker_timeline(session, worker_id)


@router.get(
    "/credit-records",
    tags=["credit"],
    response_model=Page[CreditRecordPublic],
    responses=ERRORS,
    summary="Credit records (M6, M19) with their evidence chains, for sharing",
)
async def list_credit_records(
    session: SnapshotDep,
    principal: Viewer,
    params: Annotated[PageParams, Depends(page_params)],
    platform_id: str | None = Query(None, max_length=100),
):
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
    return dict(
        id=hook.id,
        department=hook.department,
        platform_id=hook.platform_id,
        url=hook.url,
        active=hook.active,
        payload_version=hook.payload_version,
        created_at=hook.created_at,
        updated_at=hook.updated_at,
        key_ids=keys,
    )


WEBHOOK_ID = Path(description="The webhook's id (another subscriber's answers 404)")
DELIVERY_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="The delivery's id (`webhook-id`)")


@router.post(
    "/webhooks",
    tags=["webhooks"],
    status_code=201,
    response_model=WebhookCreated,
    responses=problem_responses(401, 403, 409, 422),
    summary="Register a URL that receives alerts: a department's (routed to it) or a platform's (about it)",
    description="The URL must be https (plain http only in development) and resolve only to public "
    "addresses (`webhook-target-refused` otherwise). The secret is shown only in this answer. "
    "A retry with the same `Idempotency-Key` answers the same webhook and its secret while "
    "that secret is still the webhook's; after a rotation or deletion it answers 409 "
    "`webhook-secret-unavailable` (the secret is never kept in the idempotency record).",
)
async def register_webhook(body: WebhookCreate, request: Request, session: SessionDep, principal: Subscriber):
    # Not the kit's `idempotent`: its record keeps the whole answer, and this answer holds the secret. The
    # record keeps the answer without it and the secret's public id; a replay reads the secret from the
    # webhook itself (where it must be, to sign) and only while it is still the one first answered.
    # The request hash covers the caller's own secret only by its id (not a hash of the secret itself).
    hashed = {
        **body.model_dump(mode="json", exclude={"secret"}),
        "secret_key_id": webhook_key_id(body.secret) if body.secret else None,
    }
    asked = idempotent_request(request, principal, hashed)
    if asked is not None:
        stored = await session.get(IdempotencyRecord, (asked.scope, asked.key))
        if stored is not None:
            if stored.request_hash != asked.request_hash or stored.operation != asked.operation:
                raise Unprocessable(
                    f"Idempotency-Key {asked.key!r} was already used for a different request",
                    slug="idempotency-key-reuse",
                )
            return await _replayed_registration(session, principal, stored.response)
    hook = await service.register_webhook(session, principal, body, request.app.state.settings)
    created = WebhookCreated(**webhook_public(hook), secret=hook.secret)
    if asked is not None:
        kept = {**created.model_dump(mode="json"), "secret": None, "secret_key_id": webhook_key_id(hook.secret)}
        session.add(asked.record(201, kept))
    return FastJSONResponse(created.model_dump(mode="json"), status_code=201)


async def _replayed_registration(session, principal: Principal, kept: dict) -> FastJSONResponse:
    try:
        hook = await service.get_webhook(session, principal, kept["id"])
    except NotFound:  # deleted since: the secret is gone with it
        hook = None
    if hook is None or webhook_key_id(hook.secret) != kept.get("secret_key_id"):
        raise Conflict(
            "This registration's secret is no longer the webhook's (rotated, or the webhook deleted): "
            "rotate the secret to get a new one",
            slug="webhook-secret-unavailable",
        )
    body = {k: v for k, v in kept.items() if k != "secret_key_id"} | {"secret": hook.secret}
    return FastJSONResponse(body, status_code=201, headers={REPLAY_HEADER: "true"})


@router.get(
    "/webhooks",
    tags=["webhooks"],
    response_model=list[WebhookPublic],
    responses=ERRORS,
    summary="The caller's webhooks (all, for the regulator)",
)
async def list_webhooks(session: SnapshotDep, principal: WebhookOwner):
    return [WebhookPublic(**webhook_public(h)) for h in await service.list_webhooks(session, principal)]


@router.get(
    "/webhooks/{webhook_id}",
    tags=["webhooks"],
    response_model=WebhookPublic,
    responses=problem_responses(401, 403, 404),
    summary="One of the caller's webhooks",
)
async def get_webhook(session: SnapshotDep, principal: WebhookOwner, webhook_id: int = WEBHOOK_ID):
    return WebhookPublic(**webhook_public(await service.get_webhook(session, principal, webhook_id)))


@router.patch(
    "/webhooks/{webhook_id}",
    tags=["webhooks"],
    response_model=WebhookPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="Re-point, disable or enable a webhook, or change its payload version (the subscriber only)",
)
async def update_webhook(
    body: WebhookUpdate, request: Request, session: SessionDep, principal: WebhookOwner, webhook_id: int = WEBHOOK_ID
):
    hook = await service.update_webhook(session, principal, webhook_id, body, request.app.state.settings)
    return WebhookPublic(**webhook_public(hook))


@router.delete(
    "/webhooks/{webhook_id}",
    tags=["webhooks"],
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Delete a webhook with its pending deliveries and its delivery log (the subscriber only)",
)
async def delete_webhook(session: SessionDep, principal: WebhookOwner, webhook_id: int = WEBHOOK_ID):
    await service.delete_webhook(session, principal, webhook_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/secret-rotation",
    tags=["webhooks"],
    response_model=WebhookSecretRotated,
    responses=problem_responses(401, 403, 404, 422),
    summary="Replace the signing secret; the previous one keeps signing for the grace period",
)
async def rotate_webhook_secret(
    body: WebhookRotate, session: SessionDep, principal: WebhookOwner, webhook_id: int = WEBHOOK_ID
):
    hook, secret = await service.rotate_webhook_secret(
        session, principal, webhook_id, timedelta(hours=body.grace_period_hours)
    )
    return WebhookSecretRotated(
        id=hook.id,
        secret=secret,
        key_ids=webhook_public(hook)["key_ids"],
        previous_secret_expires_at=hook.previous_secret_expires_at,
    )


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    tags=["webhooks"],
    response_model=Page[WebhookDeliveryPublic],
    responses=problem_responses(400, 401, 403, 404),
    summary="The delivery log: the webhook's deliveries, newest first, each with every attempt",
)
async def list_webhook_deliveries(
    session: SnapshotDep,
    principal: WebhookOwner,
    params: Annotated[PageParams, Depends(page_params)],
    webhook_id: int = WEBHOOK_ID,
    status: Literal["pending", "delivered", "failed"] | None = None,
):
    return await service.list_deliveries(session, principal, webhook_id, params, status)


@router.get(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}",
    tags=["webhooks"],
    response_model=WebhookDeliveryPublic,
    responses=problem_responses(401, 403, 404),
    summary="One delivery with every attempt",
)
async def get_webhook_delivery(
    session: SnapshotDep, principal: WebhookOwner, webhook_id: int = WEBHOOK_ID, delivery_id: str = DELIVERY_ID
):
    return await service.get_delivery(session, principal, webhook_id, delivery_id)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redelivery",
    tags=["webhooks"],
    status_code=202,
    response_model=WebhookDeliveryPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Send a delivery again now (same `webhook-id`, a fresh attempt budget; the subscriber only)",
    # The kit declares Idempotency-Key on 201 POSTs only; this one answers 202 and reads it too.
    openapi_extra={"parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}]},
)
async def redeliver_webhook_delivery(
    request: Request,
    session: SessionDep,
    principal: WebhookOwner,
    webhook_id: int = WEBHOOK_ID,
    delivery_id: str = DELIVERY_ID,
):
    async def produce() -> WebhookDeliveryPublic:
        return await service.redeliver(session, principal, webhook_id, delivery_id)

    return await idempotent(request, session, principal, {}, produce, status_code=202)


OPENAPI_TAGS = [
    {"name": "overview", "description": "City-wide counts and trends"},
    {"name": "alerts", "description": "Alerts from findings, routed to the responsible departments (M16, M20)"},
    {"name": "platforms", "description": "Platforms, enterprises and scorecards"},
    {"name": "workers", "description": "Pseudonymous worker timelines"},
    {"name": "credit", "description": "Credit records (M6, M19)"},
    {
        "name": "webhooks",
        "description": "Alerts pushed to a URL, signed (Standard Webhooks): departments get the "
        "alerts routed to them, platforms the alerts about them; managed, "
        "with a delivery log and redelivery, by the subscriber",
    },
    {"name": "wages", "description": "Pay compliance, arrears and working time (M6, M7), from the wages service"},
    {"name": "disputes", "description": "Complaints, mediation and arbitration figures; escalations (M10, M18, M20)"},
]
