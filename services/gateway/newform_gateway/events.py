"""Events the gateway publishes: its own actions on alerts, so that they are in the log and a
rebuild replays them like every other fact. Topic `<service_name>.events` (`gateway.events`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from newform_common.events import DomainEvent, event_type


@event_type("gateway.alert.acknowledged.v1", key="alert_id")
class AlertAcknowledged(DomainEvent):
    """A department (or the regulator) acknowledged an alert: it is being handled."""

    alert_id: str
    actor: str
    actor_role: str
    actor_department: str | None = None
    note: str | None = None
    at: datetime


@event_type("gateway.alert.commented.v1", key="alert_id")
class AlertCommented(DomainEvent):
    """A department the alert is routed to (or the regulator) commented on it; the status is unchanged."""

    alert_id: str
    actor: str
    actor_role: str
    actor_department: str | None = None
    note: str | None = None
    at: datetime


@event_type("gateway.alert.resolved.v1", key="alert_id")
class AlertResolved(DomainEvent):
    """The measure's lead department decided the alert: the finding confirmed, or 约谈/警示/查处
    (interviewed, warned, penalized; each confirms it and may make a credit record), or dismissed."""

    alert_id: str
    outcome: str = Field(description="confirmed | interviewed | warned | penalized | dismissed")
    actor: str
    actor_role: str
    actor_department: str | None = None
    note: str | None = None
    at: datetime
