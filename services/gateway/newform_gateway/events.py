"""Events the gateway publishes: its own actions on alerts and on credit listings, so that they are in
the log and a rebuild replays them like every other fact. Topic `<service_name>.events` (`gateway.events`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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


@event_type("gateway.credit_listing.decided.v1", key="listing_id")
class CreditListingDecided(DomainEvent):
    """hrss listed an employer on the wage-arrears list (办法); in the log so that a rebuild replays it."""

    listing_id: str
    subject_credit_code: str
    subject_name: str | None = None
    inspection_fact_id: str
    order_reference: str
    condition: str
    arrears_fen: int
    decided_on: date
    valid_until: date
    issuing_department: str
    actor: str
    record_ids: list[str] = Field(default_factory=list)
    basis: dict[str, Any]
    note: str | None = None
    at: datetime


@event_type("gateway.credit_record.ended.v1", key="record_id")
class CreditListingEnded(DomainEvent):
    """A credit listing ended early (repair or removal); in the log so that a rebuild replays it."""

    record_id: str
    kind: str = Field(description="repair | removal")
    ended_on: date
    reason: str
    actor: str
    actor_department: str | None = None
    at: datetime
    #: Early removal of a listing: the day the arrears were corrected and the day removal was asked.
    corrected_on: date | None = None
    requested_on: date | None = None
