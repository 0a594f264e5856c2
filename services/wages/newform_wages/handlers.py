"""The batch handlers of the events wages consumes, one per source topic of its registry line
(`libs/common/newform_common/registry.py`): each only reads the envelopes and hands them to a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.events import Envelope
from newform_common.wiring import only

from .consumed import MODELS
from .engagements.service import apply_contract_events


@only(*MODELS)
async def on_contracts_events(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """contracts.events: each contract's drafts, sendings, signatures, terminations, expiries and
    discards, in order, onto wages' engagements (other event types are not wages' concern)."""
    await apply_contract_events(
        session, [(e.type, MODELS[e.type].of(e), e.time) for e in envelopes if e.type in MODELS]
    )
