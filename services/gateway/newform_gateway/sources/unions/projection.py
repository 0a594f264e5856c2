"""unions.* events into the unions read model — set-based: one statement per batch.

Every event of unions but its findings (the alert path's) updates the row of its subject (the
event's subject, else its key) to that event. While unions publishes no typed events yet, the slice
reads each one as `AnyEvent` (no field); when it does, declare the gateway's own model of each type
with `@consumes(...)` as the other slices do (the suite then checks them against unions's committed
schemas) and give the read model the columns the regulator needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope

from ...projections.base import Context, EventData, Projection, Typed
from . import repository


class AnyEvent(EventData):
    """Any event of unions, no field read yet (unknown fields are ignored)."""


@dataclass(frozen=True)
class EveryEvent(Projection):
    """A projection of every event type of its service (not only the types of `model_list`)."""

    def parse(self, envelope: Envelope) -> Typed[Any] | None:
        return Typed(envelope, AnyEvent.model_validate(envelope.data))


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    latest: dict[str, dict[str, Any]] = {}
    for t in events:
        e = t.envelope
        subject = e.subject or e.key or e.id
        first = latest[subject]["first_event_at"] if subject in latest else e.time
        latest[subject] = dict(
            subject=subject,
            last_event_type=e.type,
            last_event_at=e.time,
            first_event_at=first,
            platform_id=_str_or_none(e.data.get("platform_id")),
            worker_id=_str_or_none(e.data.get("worker_id")),
            data=e.data,
        )
    # One subject's events share a key, so they arrive in order; a redelivery is the inbox's.
    await repository.write_latest(session, list(latest.values()))


PROJECTION = EveryEvent(service="unions", model_list=(), apply=apply)

#: Read-model tables and the columns that are the projection's own (the rebuild's comparison).
READ_MODELS: dict[str, tuple[str, ...]] = {"unions_subjects": ()}
