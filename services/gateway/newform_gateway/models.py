"""The gateway's tables: the event log (audit trail), read models, alerts, credit records, webhooks.

Read models are derived from events only and can be rebuilt by replaying the topics
(`rebuild.py`); the gateway's own actions (acknowledging, resolving) are events too
(`gateway.alert.*.v1` on the gateway's topic), so they replay as well. Webhooks and their
deliveries are operational state, not read models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from newform_common.db import service_base

GatewayModel = service_base()


def _ts(nullable: bool = False, **kw) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, **kw))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSONB, nullable=False))


class EventLog(GatewayModel, table=True):
    """Every event consumed, unknown types too, append-only: the regulator's audit trail."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_worker", "worker_id", "time"),
        Index("ix_event_log_time", "time"),
    )

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    event_id: str = Field(max_length=64, unique=True)
    type: str = Field(max_length=200, index=True)
    source: str = Field(max_length=200)
    service: str = Field(max_length=100)
    subject: str | None = Field(default=None, max_length=200)
    key: str = Field(max_length=200)
    time: datetime = _ts()
    data: dict[str, Any] = _json(dict)
    worker_id: str | None = Field(default=None, max_length=100)
    platform_id: str | None = Field(default=None, max_length=100, index=True)
    topic: str | None = Field(default=None, max_length=200)
    partition: int | None = None
    offset: int | None = Field(default=None, sa_column=Column(BigInteger))  # Kafka offsets are 64-bit
    logged_at: datetime = _ts(server_default=text("now()"))


class Enterprise(GatewayModel, table=True):
    __tablename__ = "enterprises"

    enterprise_id: str = Field(primary_key=True, max_length=100)
    name: str
    kind: str = Field(max_length=40)
    platform_id: str = Field(max_length=100, index=True)
    credit_code: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    occupations: list[str] = _json(list)
    dispatch_licence_valid_until: date | None = None
    qualified: bool | None = None
    registered_at: datetime | None = _ts(nullable=True)


class WorkerRegistration(GatewayModel, table=True):
    """A worker's registration on a platform; `active` until the account is cancelled (M5)."""

    __tablename__ = "worker_registrations"

    registration_id: str = Field(primary_key=True, max_length=100)
    worker_id: str = Field(max_length=100, index=True)
    platform_id: str = Field(max_length=100, index=True)
    occupation: str | None = Field(default=None, max_length=40)
    residence_district: str | None = Field(default=None, max_length=40)
    household_registration_region: str | None = Field(default=None, max_length=6)
    registered_at: datetime | None = _ts(nullable=True)
    active: bool = True


class ContractView(GatewayModel, table=True):
    """A contract or agreement (M1–M4) and where it is in its life."""

    __tablename__ = "contracts"

    contract_id: str = Field(primary_key=True, max_length=100)
    worker_id: str = Field(max_length=100, index=True)
    platform_id: str = Field(max_length=100, index=True)
    enterprise_id: str | None = Field(default=None, max_length=100)
    engagement_type: str = Field(max_length=40)
    part_time: bool | None = None
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    start_date: date | None = None
    end_date: date | None = None
    pay_period: str | None = Field(default=None, max_length=10)
    insurance: dict[str, Any] = _json(dict)
    # In contracts' words: draft | sent | signed | terminated | expired | discarded
    status: str = Field(default="draft", max_length=20)
    drafted_at: datetime | None = _ts(nullable=True)
    status_at: datetime | None = _ts(nullable=True)
    document_sha256: str | None = Field(default=None, max_length=64)


class AccountRestriction(GatewayModel, table=True):
    __tablename__ = "account_restrictions"

    restriction_id: str = Field(primary_key=True, max_length=100)
    worker_id: str = Field(max_length=100, index=True)
    platform_id: str = Field(max_length=100, index=True)
    action: str = Field(max_length=20)
    reason_code: str | None = Field(default=None, max_length=100)
    reason_listed: bool | None = None
    notice_days: int | None = None
    effective_at: datetime | None = _ts(nullable=True)


class RuleNotice(GatewayModel, table=True):
    """A platform's published rule or algorithm notice (M10)."""

    __tablename__ = "rule_notices"

    notice_id: str = Field(primary_key=True, max_length=100)
    platform_id: str = Field(max_length=100, index=True)
    topic: str = Field(max_length=40)
    version: int = 1
    consulted: bool = False
    published_on: date | None = None
    effective_on: date | None = None


class Alert(GatewayModel, table=True):
    """An alert from one or more findings of the same rule about the same subject."""

    __tablename__ = "alerts"
    __table_args__ = (
        # Dedupe: at most one unresolved alert per (rule, subject).
        Index(
            "uq_alerts_open_rule_subject",
            "rule",
            "subject_id",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
        ),
        Index("ix_alerts_status", "status"),
    )

    alert_id: str = Field(primary_key=True, max_length=100)
    source_service: str = Field(max_length=100)
    measure: str = Field(max_length=4, index=True)
    rule: str = Field(max_length=200)
    severity: str = Field(max_length=10)
    summary: str
    subject_type: str = Field(max_length=60)
    subject_id: str = Field(max_length=200)
    platform_id: str | None = Field(default=None, max_length=100, index=True)
    enterprise_id: str | None = Field(default=None, max_length=100)
    worker_id: str | None = Field(default=None, max_length=100)
    occupation: str | None = Field(default=None, max_length=40)
    district: str | None = Field(default=None, max_length=40)
    departments: list[str] = _json(list)
    status: str = Field(default="open", max_length=20)  # open | acknowledged | resolved
    # confirmed | interviewed | warned | penalized (each confirms) | dismissed
    resolution: str | None = Field(default=None, max_length=20)
    occurrences: int = 1
    evidence: list[dict[str, Any]] = _json(list)  # one entry per finding: ids, time, evidence
    first_observed_at: datetime = _ts()
    last_observed_at: datetime = _ts()
    raised_at: datetime = _ts()
    due_at: datetime = _ts()
    acknowledged_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)


class AlertRoute(GatewayModel, table=True):
    """Which departments an alert is routed to (`county:<district>` for a district's government)."""

    __tablename__ = "alert_routes"

    alert_id: str = Field(primary_key=True, max_length=100)
    department: str = Field(primary_key=True, max_length=60)


class AlertTransition(GatewayModel, table=True):
    __tablename__ = "alert_transitions"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)  # the gateway.alert.*.v1 event recording it
    alert_id: str = Field(max_length=100, index=True)
    action: str = Field(default="acknowledged", max_length=20)  # acknowledged | commented | resolved
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    outcome: str | None = Field(default=None, max_length=20)
    actor: str = Field(max_length=200)
    actor_role: str = Field(max_length=40)
    actor_department: str | None = Field(default=None, max_length=60)
    note: str | None = None
    at: datetime = _ts()


class CreditRecord(GatewayModel, table=True):
    """A confirmed finding entered into credit records (M6, M19), with its evidence chain."""

    __tablename__ = "credit_records"

    record_id: str = Field(primary_key=True, max_length=100)
    alert_id: str = Field(max_length=100, unique=True)
    measure: str = Field(max_length=4)
    rule: str = Field(max_length=200)
    subject_type: str = Field(max_length=60)
    subject_id: str = Field(max_length=200)
    platform_id: str | None = Field(default=None, max_length=100)
    enterprise_id: str | None = Field(default=None, max_length=100)
    summary: str
    evidence_chain: list[dict[str, Any]] = _json(list)
    confirmed_by: str = Field(max_length=200)
    confirmed_at: datetime = _ts()
    #: Whose credit the record is (the related unit's own credit code, or the enterprise's): never the
    #: platform in its place. Null while the subject is unknown: the record is held, not exported.
    subject_credit_code: str | None = Field(default=None, max_length=40)
    subject_name: str | None = Field(default=None, max_length=200)
    #: When the gateway knew the subject (the export's day for the record); null while held.
    subject_known_at: datetime | None = _ts(nullable=True)
    #: One debt, one record (W-2): the debt's key for arrears records (unique), else null.
    debt_key: str | None = Field(default=None, max_length=300, unique=True)
    #: The sources the record rests on, as in force on the day it was decided (credit.record_basis).
    basis: dict[str, Any] = _json(dict)


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
    previous_secret_expires_at: datetime | None = _ts(nullable=True)
    active: bool = True
    # 1: the original flat body; 2: the Standard Webhooks envelope {"type", "timestamp", "data"}.
    payload_version: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    created_by: str = Field(max_length=200)
    created_at: datetime = _ts(server_default=text("now()"))
    updated_at: datetime | None = _ts(nullable=True)


class WebhookDelivery(GatewayModel, table=True):
    """Outbox-like: written with the alert, sent by the deliverer until a 2xx answer."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_deliveries_pending", "next_attempt_at", postgresql_where=text("status = 'pending'")),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=64, unique=True)
    webhook_id: int = Field(index=True)
    alert_id: str = Field(max_length=100)
    payload: dict[str, Any] = _json(dict)
    status: str = Field(default="pending", max_length=20)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime = _ts(server_default=text("now()"))
    last_error: str | None = None
    delivered_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(server_default=text("now()"))


class WebhookDeliveryAttempt(GatewayModel, table=True):
    """The delivery log: one row per POST tried (or refused before sending), kept with its delivery."""

    __tablename__ = "webhook_delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=64, index=True)
    webhook_id: int = Field(index=True)
    attempted_at: datetime = _ts()
    url: str = Field(max_length=2000)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int
