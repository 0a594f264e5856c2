"""What this service handles that no request asked for: the events it consumes, one batch handler
per source topic of its registry line (`on_<source>_events`, dispatching by event type to the use
cases), and the clocks that run out (`DEADLINE_HANDLERS`, fired by the kit's deadline worker)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import ConsumedEvent
from newform_common.deadlines import DeadlineHandler
from newform_common.events import Envelope
from newform_common.wiring import only

from . import clocks
from .arbitration import service as arbitration
from .arbitration.outcomes import record_case_outcome
from .cases import service as mediation
from .complaints.service import on_reply_overdue
from .consumed import ENGAGEMENT_EVENTS, CaseOutcomeRecorded
from .engagements.service import copy_engagements


async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """contracts.events: our copy of the engagements complaints and cases concern (one upsert per batch)."""
    changes: list[tuple[ConsumedEvent, str]] = []
    for envelope in envelopes:
        known = ENGAGEMENT_EVENTS.get(envelope.type)
        if known is not None:
            model, status = known
            changes.append((model.of(envelope), status))
    await copy_engagements(session, changes)


@only(CaseOutcomeRecorded.event_type)
async def on_departments_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """departments.events: the awards and judgments recorded about our cases settle them (M18)."""
    for envelope in envelopes:
        if envelope.type == CaseOutcomeRecorded.event_type:
            await record_case_outcome(session, CaseOutcomeRecorded.of(envelope))


#: Clocks this service runs (`kind` → handler), fired by the kit's deadline worker.
DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {
    clocks.COMPLAINT_REPLY: on_reply_overdue,
    clocks.MEDIATION_ACCEPTANCE: mediation.on_mediation_acceptance_overdue,
    clocks.MEDIATION_LIMIT: mediation.on_mediation_limit,
    clocks.MEDIATOR_REASSIGNMENT: mediation.on_mediator_not_reassigned,
    clocks.AGREEMENT_FULFILMENT: mediation.on_agreement_unfulfilled,
    clocks.ARBITRATION_ACCEPTANCE: arbitration.on_acceptance_overdue,
    clocks.ARBITRATION_AWARD: arbitration.on_award_overdue,
}
