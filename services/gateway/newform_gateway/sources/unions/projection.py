"""unions.* events into the unions read models — set-based: one statement per table per batch.

The regulator's questions (M17, M10): how many of a platform's workers are union members; which
collective contracts are in force, for which platforms; which consultations on platforms' rules are
open, answered late or concluded, and how. Every event of unions but its findings (the alert path's)
also updates its subject's row in `unions_subjects` (the slice's generic list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import consumes
from newform_common.events import Envelope

from ...projections.base import Context, EventData, Projection, Typed
from . import repository


class AnyEvent(EventData):
    """Any other event of unions (its subject's latest event only; unknown fields are ignored)."""


# -- the gateway's reading of unions' v1 events (services/unions/newform_unions/events.py) ---------------
class MembershipFacts(EventData):
    membership_id: str
    union_id: str
    # Optional here though unions always sends it: a membership event without it is still counted per
    # platform it joined through, only not matched to a registered worker (coverage.py).
    worker_id: str | None = None
    platform_id: str | None = None
    district: str | None = None
    status: str
    at: AwareDatetime


@consumes("unions.membership.applied.v1")
class MembershipApplied(MembershipFacts):
    pass


@consumes("unions.membership.accepted.v1")
class MembershipAccepted(MembershipFacts):
    pass


@consumes("unions.membership.refused.v1")
class MembershipRefused(MembershipFacts):
    pass


@consumes("unions.membership.ended.v1")
class MembershipEnded(MembershipFacts):
    pass


class ConsultationFacts(EventData):
    consultation_id: str
    union_id: str
    platform_id: str
    topic: str
    status: str
    requested_on: date
    at: AwareDatetime


@consumes("unions.consultation.requested.v1")
class ConsultationRequested(ConsultationFacts):
    reply_due_on: date


@consumes("unions.consultation.replied.v1")
class ConsultationReplied(ConsultationFacts):
    replied_on: date


@consumes("unions.consultation.concluded.v1")
class ConsultationConcluded(ConsultationFacts):
    outcome: str
    concluded_on: date


class ContractFacts(EventData):
    collective_contract_id: str
    union_id: str
    kind: str
    platform_ids: list[str]
    status: str
    at: AwareDatetime


@consumes("unions.collective_contract.signed.v1")
class CollectiveContractSigned(ContractFacts):
    signed_on: date


@consumes("unions.collective_contract.submitted.v1")
class CollectiveContractSubmitted(ContractFacts):
    submitted_on: date
    late: bool


@consumes("unions.collective_contract.returned.v1")
class CollectiveContractReturned(ContractFacts):
    objected_on: date


@consumes("unions.collective_contract.in_force.v1")
class CollectiveContractInForce(EventData):
    collective_contract_id: str
    union_id: str
    kind: str
    platform_ids: list[str]
    effective_until: date | None
    in_force_on: date


@consumes("unions.collective_contract.ended.v1")
class CollectiveContractEnded(EventData):
    collective_contract_id: str
    ended_on: date
    reason: str


MODELS: tuple[type[EventData], ...] = (
    MembershipApplied,
    MembershipAccepted,
    MembershipRefused,
    MembershipEnded,
    ConsultationRequested,
    ConsultationReplied,
    ConsultationConcluded,
    CollectiveContractSigned,
    CollectiveContractSubmitted,
    CollectiveContractReturned,
    CollectiveContractInForce,
    CollectiveContractEnded,
)


@dataclass(frozen=True)
class EveryEvent(Projection):
    """Every event type of unions: the typed ones as their models, any other as `AnyEvent`."""

    def parse(self, envelope: Envelope) -> Typed[Any] | None:
        model = self.models.get(envelope.type, AnyEvent)
        return Typed(envelope, model.model_validate(envelope.data))


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


CONTRACT_COLUMNS = (
    "union_id",
    "kind",
    "platform_ids",
    "status",
    "signed_on",
    "submitted_on",
    "late",
    "in_force_on",
    "effective_until",
    "ended_on",
    "end_reason",
)


def _fold_contract(rows: dict[str, dict[str, Any]], d: EventData, at: Any) -> None:
    """A contract's events of the batch in order: each sets what it knows; what it does not know is kept."""
    cid = d.collective_contract_id  # type: ignore[attr-defined]
    row = rows.setdefault(cid, {"collective_contract_id": cid, **dict.fromkeys(CONTRACT_COLUMNS), "updated_at": at})
    row["updated_at"] = at
    if isinstance(d, ContractFacts):
        row.update(union_id=d.union_id, kind=d.kind, platform_ids=d.platform_ids, status=d.status)
    if isinstance(d, CollectiveContractSigned):
        row["signed_on"] = d.signed_on
    elif isinstance(d, CollectiveContractSubmitted):
        row.update(submitted_on=d.submitted_on, late=d.late)
    elif isinstance(d, CollectiveContractInForce):
        row.update(
            union_id=d.union_id,
            kind=d.kind,
            platform_ids=d.platform_ids,
            status="in_force",
            in_force_on=d.in_force_on,
            effective_until=d.effective_until,
        )
    elif isinstance(d, CollectiveContractEnded):
        row.update(status="ended", ended_on=d.ended_on, end_reason=d.reason)


def _consultation_row(rows: dict[str, dict[str, Any]], d: ConsultationFacts) -> None:
    row = rows.setdefault(
        d.consultation_id,
        {
            "consultation_id": d.consultation_id,
            "reply_due_on": None,
            "replied_on": None,
            "outcome": None,
            "concluded_on": None,
        },
    )
    row.update(
        union_id=d.union_id,
        platform_id=d.platform_id,
        topic=d.topic,
        status=d.status,
        requested_on=d.requested_on,
        updated_at=d.at,
    )
    if isinstance(d, ConsultationRequested):
        row["reply_due_on"] = d.reply_due_on
    elif isinstance(d, ConsultationReplied):
        row["replied_on"] = d.replied_on
    elif isinstance(d, ConsultationConcluded):
        row.update(outcome=d.outcome, concluded_on=d.concluded_on)


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    latest: dict[str, dict[str, Any]] = {}
    memberships: dict[str, dict[str, Any]] = {}
    consultations: dict[str, dict[str, Any]] = {}
    contracts: dict[str, dict[str, Any]] = {}
    for t in events:
        e, d = t.envelope, t.data
        subject = e.subject or e.key or e.id
        first = latest[subject]["first_event_at"] if subject in latest else e.time
        latest[subject] = dict(
            subject=subject,
            last_event_type=e.type,
            last_event_at=e.time,
            first_event_at=first,
            platform_id=_str_or_none(e.data.get("platform_id")),
            worker_id=_str_or_none(e.data.get("worker_id")),
            data=e.data,
        )
        if isinstance(d, MembershipFacts):
            memberships[d.membership_id] = dict(
                membership_id=d.membership_id,
                union_id=d.union_id,
                worker_id=d.worker_id,
                platform_id=d.platform_id,
                district=d.district,
                status=d.status,
                updated_at=d.at,
            )
        elif isinstance(d, ConsultationFacts):
            _consultation_row(consultations, d)
        elif isinstance(d, ContractFacts | CollectiveContractInForce | CollectiveContractEnded):
            _fold_contract(contracts, d, e.time)
    # One subject's events share a key, so they arrive in order; a redelivery is the inbox's.
    await repository.write_latest(session, list(latest.values()))
    await repository.write_memberships(session, list(memberships.values()))
    await repository.write_consultations(session, list(consultations.values()))
    await repository.write_contracts(session, list(contracts.values()))


PROJECTION = EveryEvent(service="unions", model_list=MODELS, apply=apply)

#: Read-model tables and the columns that are the projection's own (the rebuild's comparison).
READ_MODELS: dict[str, tuple[str, ...]] = {
    "unions_subjects": (),
    "unions_memberships": (),
    "unions_consultations": (),
    "unions_collective_contracts": (),
    # coverage's read model, kept by migration 0007's triggers from the registrations and memberships
    "union_coverage_workers": (),
    "union_coverage_counts": (),
}
