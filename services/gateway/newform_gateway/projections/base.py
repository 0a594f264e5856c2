"""What every source slice's projection module is made of, and the context every projection gets.

A projection module declares, per event type it reads, a typed model of the event's data (pydantic,
`newform_common.consumed`; `newform_gateway.consumed` lists them): the gateway's own reading of the
catalogue, so a renamed or missing field fails the event loudly — it is retried, then dead-lettered
— instead of becoming a silent None. And one `apply` that writes a polled batch of its events
set-based: one statement per table per batch (`newform_common.bulk`), folding the batch's events in
order first where several touch one row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import ConsumedEvent
from newform_common.events import Envelope

from ..credit.rules import CreditRules


@dataclass(frozen=True)
class Context:
    """What projections need besides the event: configuration that is not policy."""

    credit_rules: CreditRules
    deadline_default_days: int = 15
    #: Off in a rebuild: it has no webhooks, and old alerts are not re-sent.
    webhooks: bool = True


class EventData(ConsumedEvent):
    """An event's data as the gateway reads it (`newform_common.consumed`: fields a producer adds later
    are ignored; a field the gateway needs must be there). Declare each with `@consumes(<type>)`: the
    suite checks it against the producer's committed schema (tests/common/test_consumed_events.py)."""


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
    """One source service's events into the read models: `model_list` holds the data models of the
    event types it projects (each names its type); `apply` gets the batch's events of those types,
    in their order, parsed."""

    service: str
    model_list: tuple[type[EventData], ...]
    apply: BatchApply
    models: Mapping[str, type[EventData]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", {m.event_type: m for m in self.model_list})

    def parse(self, envelope: Envelope) -> Typed[Any] | None:
        model = self.models.get(envelope.type)
        return None if model is None else Typed(envelope, model.model_validate(envelope.data))


#: A source's SQL over the whole event log: writes its read models, returns the facts (rows) it read.
LogApply = Callable[[AsyncSession], Awaitable[int]]


@dataclass(frozen=True)
class LogProjection:
    """A source's high-volume event types projected straight from the event log, set-based in SQL, by a
    rebuild from the log (`rebuild.rebuild_from_log`): one `INSERT … SELECT … FROM event_log` per read
    model instead of parsing every event in Python. Its result equals the source's `Projection` folding
    the same events in log order. The rebuild runs it before streaming the other types through the
    Python projections, so `types` must be types whose tables no other type writes in an order-dependent
    way and no projection reads (each slice's `log_projection` package says why that holds for it)."""

    types: frozenset[str]
    apply: LogApply
    #: No Python projection writes or reads its tables at all: it may run while the other types stream.
    alongside: bool = False
    #: The tables it fills (empty before): their secondary indexes are built once after, not row by row.
    tables: tuple[str, ...] = ()
