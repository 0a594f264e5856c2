"""What unions does with the events it consumes: one batch handler per source topic of its registry
line (`newform_common.wiring`: group `unions-<source>`, topic setting `<source>_topic`). A handler
only dispatches by event type to the use cases in `service.py`; it receives only the types its table
names (`@only`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.wiring import only

from . import service
from .consumed import AccountRestricted, RestrictionLifted, RuleNoticePublished, WorkerRegistered

#: A use case of one consumed event, in the consumer's transaction (the inbox makes it once-only).
UseCase = Callable[[AsyncSession, Envelope], Awaitable[None]]

#: contracts.events: the use case (`service.py`) of each event type acted on; `consumed.py` has the models.
CONTRACTS_USE_CASES: dict[str, UseCase] = {
    WorkerRegistered.event_type: service.record_worker_registration,
    AccountRestricted.event_type: service.record_account_restriction,
    RestrictionLifted.event_type: service.record_restriction_lift,
    RuleNoticePublished.event_type: service.record_rule_version,
}


@only(*CONTRACTS_USE_CASES)
async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """contracts.events, the types in CONTRACTS_USE_CASES only: each event to its use case, in order."""
    for envelope in envelopes:
        await CONTRACTS_USE_CASES[envelope.type](session, envelope)
