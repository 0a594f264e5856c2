"""The alerts' tables: alerts, their routes (departments) and their transitions; the alert's words.

Lifecycle: open → acknowledged → resolved; open → resolved is allowed too (`transitions.py`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field

from newform_common.states import transitions

from ..models import GatewayModel, json_column, ts_field


class AlertStatus(StrEnum):
    """Where an alert is in its life (the words stored and published)."""

    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


#: The statuses each status may move to: every department it is routed to acknowledges (each once: an
#: acknowledged alert stays acknowledged), the lead department decides; a resolved alert takes no step.
ALLOWED: dict[AlertStatus, frozenset[AlertStatus]] = transitions(
    {
        AlertStatus.open: {AlertStatus.acknowledged, AlertStatus.resolved},
        AlertStatus.acknowledged: {AlertStatus.acknowledged, AlertStatus.resolved},
        AlertStatus.resolved: set(),
    }
)
OPEN, ACKNOWLEDGED, RESOLVED = AlertStatus.open.value, AlertStatus.acknowledged.value, AlertStatus.resolved.value
COMMENTED = "commented"  # an action that leaves the status as it is
#: The lead department's decisions: 约谈 interviewed, 警示 warned, 查处 penalized (宁政办〔2022〕41号 item 20)
#: each confirm the finding as `confirmed` does; `dismissed` does not.
CONFIRMING_OUTCOMES = ("confirmed", "interviewed", "warned", "penalized")
OUTCOMES = (*CONFIRMING_OUTCOMES, "dismissed")
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


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
    departments: list[str] = json_column(list)
    status: str = Field(default="open", max_length=20)  # open | acknowledged | resolved
    # confirmed | interviewed | warned | penalized (each confirms) | dismissed
    resolution: str | None = Field(default=None, max_length=20)
    occurrences: int = 1
    evidence: list[dict[str, Any]] = json_column(list)  # one entry per finding: ids, time, evidence
    first_observed_at: datetime = ts_field()
    last_observed_at: datetime = ts_field()
    raised_at: datetime = ts_field()
    due_at: datetime = ts_field()
    acknowledged_at: datetime | None = ts_field(nullable=True)
    resolved_at: datetime | None = ts_field(nullable=True)


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
    at: datetime = ts_field()
