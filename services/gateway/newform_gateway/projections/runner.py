"""The projection runner: every consumed event into the event log, then into the read models.

`PROJECTIONS` (`slices.py`) has one entry per source service (the first part of an event
type), built from the source slices: each slice's `projection.py` holds typed models of the events its
service publishes and one set-based `apply` (see `base.py`) — a new source adds a slice, the runner
does not change.

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

from newform_common.events import Envelope

from .. import repository
from ..alerts.findings import is_finding
from ..alerts.projection import project_alert_path
from ..alerts.transitions import ACTION_OF_EVENT
from ..credit import listings
from ..slices import PROJECTIONS
from .base import Context, Typed

log = logging.getLogger(__name__)

LAST_EVENT_TIME = Gauge(
    "newform_gateway_last_event_time_seconds", "Time (unix seconds) of the newest event projected, per topic", ["topic"]
)

#: The gateway's own events besides alert actions, replayed in order on the alert path (a credit
#: listing's end acts on a record a resolution created). Live, the API applied them already.
ORDERED_ACTIONS = {
    "gateway.credit_record.ended.v1": listings.project_listing_end,
    "gateway.credit_listing.decided.v1": listings.project_listing,
}


def on_alert_path(event_type: str) -> bool:
    """Findings of any service and the gateway's own alert actions (`alerts.projection.project_alert_path`)."""
    return event_type in ACTION_OF_EVENT or event_type in ORDERED_ACTIONS or is_finding(event_type)


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
    await repository.append_events(session, rows, fresh=fresh)


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
    await project_alert_path(session, alert_path, ctx, ORDERED_ACTIONS)
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
