"""What departments does with the events it consumes: one batch handler per source topic of its registry
line (`newform_common.wiring`). It only dispatches by event type to the use cases in `service.py`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.wiring import only

from . import service
from .consumed import EnterpriseRegistered, WorkerRegistered
from .models import SubjectType


@only(WorkerRegistered.event_type, EnterpriseRegistered.event_type)
async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """contracts.events: a worker or an enterprise registered, so that facts kept for it get linked."""
    subjects = []
    for e in envelopes:
        if e.type == WorkerRegistered.event_type:
            subjects.append((SubjectType.worker, WorkerRegistered.of(e).worker_id, e.time))
        elif e.type == EnterpriseRegistered.event_type:
            subjects.append((SubjectType.enterprise, EnterpriseRegistered.of(e).credit_code, e.time))
    await service.subjects_registered(session, subjects)
