"""What every source service's projection module is made of.

A projection module declares, per event type it reads, a typed model of the event's data (pydantic,
in the gateway: the gateway's own reading of the catalogue, so a renamed or missing field fails the
event loudly — it is retried, then dead-lettered — instead of becoming a silent None), and one
`apply` that writes a polled batch of its events set-based: one statement per table per batch
(`newform_common.bulk`), folding the batch's events in order first where several touch one row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope

from ..alerts import Context


class EventData(BaseModel):
    """An event's data as the gateway reads it. Fields a producer adds later are ignored (adding an
    optional field is a compatible change); a field the gateway needs must be there."""

    model_config = ConfigDict(extra="ignore", frozen=True)


D = TypeVar("D", bound=EventData)


@dataclass(frozen=True)
class Typed(Generic[D]):
    """An event with its data parsed: the envelope (id, type, time, Kafka position) and the model."""

    envelope: Envelope
    data: D

    @property
    def type(self) -> str:
        return self.envelope.type


BatchApply = Callable[[AsyncSession, list[Typed[Any]], Context], Awaitable[None]]


@dataclass(frozen=True)
class Projection:
    """One source service's events into the read models: `models` maps each event type it projects to
    its data model; `apply` gets the batch's events of those types, in their order, parsed."""

    service: str
    models: Mapping[str, type[EventData]]
    apply: BatchApply

    def parse(self, envelope: Envelope) -> Typed[Any] | None:
        model = self.models.get(envelope.type)
        return None if model is None else Typed(envelope, model.model_validate(envelope.data))
