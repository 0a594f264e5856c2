"""The webhooks' tables: subscriptions, deliveries (outbox-like, written with the alert) and the
delivery log. Operational state, not read models: a rebuild leaves them alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field

from ..models import GatewayModel, json_column, ts_field


class Webhook(GatewayModel, table=True):
    """A subscriber's URL: a department's (alerts routed to it) or a platform's (alerts about it)."""

    __tablename__ = "webhooks"
    __table_args__ = (
        CheckConstraint("(department IS NULL) <> (platform_id IS NULL)", name="ck_webhooks_one_subscriber"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department: str | None = Field(default=None, max_length=60, index=True)
    platform_id: str | None = Field(default=None, max_length=100, index=True)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    # After a rotation the previous secret also signs until it expires, so receivers can switch.
    previous_secret: str | None = Field(default=None, max_length=200)
    previous_secret_expires_at: datetime | None = ts_field(nullable=True)
    active: bool = True
    # 1: the original flat body; 2: the Standard Webhooks envelope {"type", "timestamp", "data"}.
    payload_version: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    created_by: str = Field(max_length=200)
    created_at: datetime = ts_field(server_default=text("now()"))
    updated_at: datetime | None = ts_field(nullable=True)


class WebhookDelivery(GatewayModel, table=True):
    """Outbox-like: written with the alert, sent by the deliverer until a 2xx answer."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_deliveries_pending", "next_attempt_at", postgresql_where=text("status = 'pending'")),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=64, unique=True)
    webhook_id: int = Field(index=True)
    alert_id: str = Field(max_length=100)
    payload: dict[str, Any] = json_column(dict)
    status: str = Field(default="pending", max_length=20)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime = ts_field(server_default=text("now()"))
    last_error: str | None = None
    delivered_at: datetime | None = ts_field(nullable=True)
    created_at: datetime = ts_field(server_default=text("now()"))


class WebhookDeliveryAttempt(GatewayModel, table=True):
    """The delivery log: one row per POST tried (or refused before sending), kept with its delivery."""

    __tablename__ = "webhook_delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=64, index=True)
    webhook_id: int = Field(index=True)
    attempted_at: datetime = ts_field()
    url: str = Field(max_length=2000)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int
