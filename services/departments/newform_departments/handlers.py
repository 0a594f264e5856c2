"""What departments does with the events it consumes: one batch handler per source topic of its registry
line (`newform_common.wiring`). It only dispatches by event type to the use cases in `service.py` (facts
kept for unknown subjects) and `notices/service.py` (the registrations notices are targeted by)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.wiring import only

from . import service
from .consumed import AccountRestricted, EnterpriseRegistered, RestrictionLifted, WorkerRegistered
from .models import SubjectType
from .notices import service as notices


@only(
    WorkerRegistered.event_type,
    EnterpriseRegistered.event_type,
    AccountRestricted.event_type,
    RestrictionLifted.event_type,
)
async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """contracts.events: a worker or an enterprise registered (facts kept for it get linked; a worker's
    registration targets notices), an account cancelled or the cancellation lifted."""
    subjects = []
    registrations: dict[str, dict] = {}
    for e in envelopes:
        if e.type == WorkerRegistered.event_type:
            w = WorkerRegistered.of(e)
            subjects.append((SubjectType.worker, w.worker_id, e.time))
            registrations[w.registration_id] = w.model_dump(
                include={
                    "registration_id",
                    "worker_id",
                    "platform_id",
                    "occupation",
                    "residence_district",
                    "registered_at",
                }
            )
        elif e.type == EnterpriseRegistered.event_type:
            subjects.append((SubjectType.enterprise, EnterpriseRegistered.of(e).credit_code, e.time))
    await service.subjects_registered(session, subjects)
    await notices.workers_registered(session, list(registrations.values()))
    # Cancellations after the batch's registrations, in order, so a cancel in the same batch applies.
    for e in envelopes:
        if e.type == AccountRestricted.event_type:
            r = AccountRestricted.of(e)
            if r.action == "cancel":
                await notices.account_cancelled(session, r.worker_id, r.platform_id, r.restriction_id)
        elif e.type == RestrictionLifted.event_type:
            await notices.restriction_lifted(session, RestrictionLifted.of(e).restriction_id)
