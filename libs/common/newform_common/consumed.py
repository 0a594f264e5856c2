"""Reading another service's events: the consumer's own model of each event it reads.

A service that consumes another's topic (wages and disputes read contracts' engagements; the
gateway reads everything) declares, in its own package (`newform_<service>/consumed.py` by
convention), a `ConsumedEvent` per event type with only the fields it uses. Unknown fields are
ignored, so the producer may add fields freely; a field the consumer needs that the producer drops
or retypes is caught by `newform_local.event_contracts.compatibility_problems` against the
producer's committed JSON Schema (tests/common/test_consumed_events.py runs it for every service).

    @consumes("contracts.contract.signed.v1")
    class ContractSigned(ConsumedEvent):
        contract_id: str
        worker_id: str

    event = ContractSigned.of(envelope)   # raises PoisonEvent-friendly ValidationError if malformed
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

_CONSUMED: dict[str, list[type[ConsumedEvent]]] = {}


class ConsumedEvent(BaseModel):
    """Base of a consumer's model of a published event: frozen, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]

    @classmethod
    def of(cls, envelope: Any) -> ConsumedEvent:
        """The event's data as this model (pydantic ValidationError when a needed field is missing)."""
        return cls.model_validate(envelope.data)


C = TypeVar("C", bound=ConsumedEvent)


def consumes(event_type: str) -> Callable[[type[C]], type[C]]:
    """Class decorator naming the producer's event type a consumer model reads."""

    def decorate(cls: type[C]) -> type[C]:
        cls.event_type = event_type
        _CONSUMED.setdefault(event_type, []).append(cls)
        return cls

    return decorate
