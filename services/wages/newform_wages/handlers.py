"""The batch handlers of the events wages consumes, one per source topic of its registry line
(`libs/common/newform_common/registry.py`): each only reads the envelopes and hands them to a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.wiring import only

from .collective import service as collective
from .consumed import MODELS, CollectiveContractEnded, CollectiveContractInForce, WeatherWarningIssued
from .engagements.service import apply_contract_events
from .safety import service as safety


@only(*MODELS)
async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """contracts.events: each contract's drafts, sendings, signatures, terminations, expiries and
    discards, in order, onto wages' engagements (other event types are not wages' concern)."""
    await apply_contract_events(
        session, [(e.type, MODELS[e.type].of(e), e.time) for e in envelopes if e.type in MODELS]
    )


@only(CollectiveContractInForce.event_type, CollectiveContractEnded.event_type)
async def on_unions_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """unions.events: collective contracts in force and ended, in order, onto wages' copy (their standards
    bind pay and quotas; the unions' other events are not wages' concern)."""
    for e in envelopes:
        if e.type == CollectiveContractInForce.event_type:
            await collective.collective_in_force(session, CollectiveContractInForce.of(e).model_dump(), e.time)
        elif e.type == CollectiveContractEnded.event_type:
            ended = CollectiveContractEnded.of(e)
            assert isinstance(ended, CollectiveContractEnded)
            await collective.collective_ended(
                session, ended.collective_contract_id, ended.ended_on, ended.reason, e.time
            )


@only(WeatherWarningIssued.event_type)
async def on_departments_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """departments.events: bad-weather warnings (M8), in order, onto wages' copy and their judging clocks
    (the departments' other facts are not wages' concern)."""
    for e in envelopes:
        if e.type == WeatherWarningIssued.event_type:
            await safety.warning_stated(session, WeatherWarningIssued.of(e))
