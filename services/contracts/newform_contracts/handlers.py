"""What contracts does with the events it consumes: one batch handler per source topic
(`newform_common.wiring`: group `contracts-<source>`). Each only dispatches by event type to the use cases
of `verified/` (verified beats declared, M3/M9) or `collective/` (collective contracts in force, whose
piece rates bind the contracts drafted under them: 劳动合同法 art. 55), in the consumer's inbox transaction.

The two topics were read by one consumer before (`contracts-verified`); nothing relied on that: Kafka
orders events within a partition of one topic, never across topics, and each use case reads the state it
needs from the database (a fact arriving before the contract is sent is judged when the contract is
sent; a contract sent before the fact, when the fact arrives)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.events import Envelope
from newform_common.wiring import only

from .collective import service as collective
from .consumed import (
    CollectiveContractEnded,
    CollectiveContractInForce,
    ContractSent,
    DispatchLicenceRecorded,
    EnterpriseRecordRecorded,
    InsuranceEnrolmentRecorded,
    WeatherWarningIssued,
)
from .safety import service as safety
from .verified import service as verified


@only(
    InsuranceEnrolmentRecorded.event_type,
    DispatchLicenceRecorded.event_type,
    EnterpriseRecordRecorded.event_type,
    WeatherWarningIssued.event_type,
)
async def on_departments_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """departments.events: facts a department states, into contracts' own copy, each applied to the
    contracts it concerns."""
    today = clock.today()
    for e in envelopes:
        if e.type == InsuranceEnrolmentRecorded.event_type:
            await verified.insurance_stated(session, InsuranceEnrolmentRecorded.of(e), today)
        elif e.type == DispatchLicenceRecorded.event_type:
            await verified.licence_stated(session, DispatchLicenceRecorded.of(e), today)
        elif e.type == EnterpriseRecordRecorded.event_type:
            await verified.enterprise_record_stated(session, EnterpriseRecordRecorded.of(e), today)
        elif e.type == WeatherWarningIssued.event_type:
            await safety.warning_stated(session, WeatherWarningIssued.of(e))


@only(ContractSent.event_type)
async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """contracts.events (its own): a contract sent, checked against the departments' facts already held."""
    today = clock.today()
    for e in envelopes:
        if e.type == ContractSent.event_type:
            await verified.check_contract(session, ContractSent.of(e).contract_id, today)


@only(CollectiveContractInForce.event_type, CollectiveContractEnded.event_type)
async def on_unions_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """unions.events: collective contracts in force and ended, in order, into contracts' own copy."""
    for e in envelopes:
        if e.type == CollectiveContractInForce.event_type:
            await collective.collective_in_force(session, CollectiveContractInForce.of(e).model_dump(), e.time)
        elif e.type == CollectiveContractEnded.event_type:
            ended = CollectiveContractEnded.of(e)
            assert isinstance(ended, CollectiveContractEnded)
            await collective.collective_ended(
                session, ended.collective_contract_id, ended.ended_on, ended.reason, e.time
            )
