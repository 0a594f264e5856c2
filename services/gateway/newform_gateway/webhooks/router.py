"""The webhooks API (`/v1/webhooks`): register, read, change, delete, rotate the secret, the delivery log
and redelivery. Departments (with their department scope) and platforms subscribe; the regulator and
admin read every webhook but change none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response

from newform_common.app import SessionDep, SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import Conflict, Forbidden, NotFound, Unprocessable, problem_responses
from newform_common.idempotency import REPLAY_HEADER, idempotent, idempotent_request
from newform_common.pagination import Page, PageParams, page_params
from newform_common.responses import FastJSONResponse

from ..access import ERRORS, scoped_viewer
from . import repository, service
from .schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryPublic,
    WebhookPublic,
    WebhookRotate,
    WebhookSecretRotated,
    WebhookUpdate,
)
from .signing import key_id as webhook_key_id
from .signing import signing_secrets

router = APIRouter(prefix="/v1")


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
        stored = await repository.idempotency_record(session, asked.scope, asked.key)
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
