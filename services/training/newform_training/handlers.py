"""Handlers of the events training consumes, one batch handler per source topic of its registry line.

They only dispatch by event type to the use cases in `service.py` (M13's training places)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.wiring import only

from . import service
from .consumed import HouseholdRegistrationRecorded, JobSeekingRegistrationRecorded, WorkerRegistered


async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """Where registered workers live (contracts' `worker.registered`); other contract events pass by."""
    await service.record_worker_places(
        session, [(WorkerRegistered.of(e), e.time) for e in envelopes if e.type == WorkerRegistered.event_type]
    )


@only(HouseholdRegistrationRecorded.event_type, JobSeekingRegistrationRecorded.event_type)
async def on_departments_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """Household registrations (public security) and job-seeking registrations (hrss), in their order."""
    facts: list[HouseholdRegistrationRecorded | JobSeekingRegistrationRecorded] = []
    for e in envelopes:
        if e.type == HouseholdRegistrationRecorded.event_type:
            facts.append(HouseholdRegistrationRecorded.of(e))
        elif e.type == JobSeekingRegistrationRecorded.event_type:
            facts.append(JobSeekingRegistrationRecorded.of(e))
    await service.record_place_facts(session, facts)
