"""Projections: every consumed event into the event log, then into the read models.

`PROJECTIONS` has one entry per source service (the first part of an event type), each a module of
this package: `contracts.py` now; wages, disputes and training add theirs (typed models of the events
they publish and one set-based `apply`, see `base.py`) and one line here — the runner does not change.

A polled batch is handled in one transaction (the consumer's inbox transaction, so a redelivered
event changes nothing): all of it into the event log with one statement, then each service's events
into its read models set-based, then the alert path — findings (`*.finding.raised.v1`, from any
service) and the gateway's own alert actions — with the effect of applying them in order: each run of
findings set-based, each action between the runs (`alerts.project_alert_path`; the set-based
projections do not read alerts; the alert path reads only the enterprises, projected before it).
Unknown types are kept in the event log and otherwise left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.events import Envelope

from .. import alerts, credit, credit_export
from ..alerts import Context
from ..models import EventLog
from . import contracts, departments, disputes, training, wages
from .base import EventData, Projection, Typed

__all__ = [
    "PROJECTIONS",
    "EventData",
    "Projection",
    "Typed",
    "apply_projections",
    "log_events",
    "make_batch_handler",
    "project",
]

log = logging.getLogger(__name__)

LAST_EVENT_TIME = Gauge(
    "newform_gateway_last_event_time_seconds", "Time (unix seconds) of the newest event projected, per topic", ["topic"]
)

#: Set-based projections, one per source service.
PROJECTIONS: dict[str, Projection] = {
    p.service: p
    for p in (contracts.PROJECTION, disputes.PROJECTION, training.PROJECTION, wages.PROJECTION, departments.PROJECTION)
}

#: The gateway's own events besides alert actions, replayed in order on the alert path (a credit
#: listing's end acts on a record a resolution created). Live, the API applied them already.
ORDERED_ACTIONS = {
    "gateway.credit_record.ended.v1": credit_export.project_listing_end,
    "gateway.credit_listing.decided.v1": credit.project_listing,
}


def on_alert_path(event_type: str) -> bool:
    """Findings of any service and the gateway's own alert actions (`alerts.project_alert_path`)."""
    return event_type in alerts.ACTION_OF_EVENT or event_type in ORDERED_ACTIONS or alerts.is_finding(event_type)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def log_events(session: AsyncSession, events: list[Envelope], *, fresh: bool = False) -> None:
    """Append events to the event log in one statement (the log is the regulator's audit trail).
    `fresh`: the caller knows none is logged yet (a rebuild into an empty database): COPY them."""
    rows = [
        dict(
            event_id=e.id,
            type=e.type,
            source=e.source,
            service=e.service,
            subject=e.subject,
            key=e.key,
            time=e.time,
            data=e.data,
            worker_id=_str_or_none(e.data.get("worker_id")),
            platform_id=_str_or_none(e.data.get("platform_id")),
            topic=e.topic,
            partition=e.partition,
            offset=e.offset,
        )
        for e in events
    ]
    if fresh:
        await bulk.copy(session, EventLog, rows)
    else:
        await bulk.insert_new(session, EventLog, rows, key=["event_id"])


async def apply_projections(session: AsyncSession, events: list[Envelope], ctx: Context) -> None:
    """The read models of a batch of events already in the event log."""
    by_service: dict[str, list[Typed[Any]]] = {}
    alert_path: list[Envelope] = []
    for e in events:
        if on_alert_path(e.type):
            alert_path.append(e)
            continue
        projection = PROJECTIONS.get(e.service)
        typed = projection.parse(e) if projection is not None else None  # a wrong shape raises here
        if typed is not None:
            by_service.setdefault(e.service, []).append(typed)
    for service, typed_events in by_service.items():
        await PROJECTIONS[service].apply(session, typed_events, ctx)
    await alerts.project_alert_path(session, alert_path, ctx, ORDERED_ACTIONS)
    newest: dict[str, float] = {}
    for e in events:
        if e.topic:
            newest[e.topic] = max(newest.get(e.topic, 0.0), e.time.timestamp())
    for topic, at in newest.items():
        LAST_EVENT_TIME.labels(topic).set(at)


async def project(session: AsyncSession, e: Envelope, ctx: Context) -> None:
    """One event: append it to the event log, then update the read models its type feeds."""
    await project_batch(session, [e], ctx)


async def project_batch(session: AsyncSession, events: list[Envelope], ctx: Context) -> None:
    await log_events(session, events)
    await apply_projections(session, events, ctx)


def make_batch_handler(ctx: Context):
    """The ConsumerRunner's batch handler: the batch's new events (in order, each with its Kafka position)."""

    async def handle(session: AsyncSession, events: list[Envelope]) -> None:
        await project_batch(session, events, ctx)

    return handle
