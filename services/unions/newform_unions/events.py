"""The events unions publishes on `unions.events` (committed schemas in event_schemas/).

Regenerate the committed schemas after adding a type or a version:
`python -m newform_unions.events` (tests/unions/test_events.py fails until they match).

`unions.collective_contract.in_force.v1` and `.ended.v1` are a contract with wages and contracts,
which judge pay and quotas against the collective standard in force on a fact's date (劳动合同法
art. 55; the measures items 6, 7): their fields keep their names and types; a new field is optional.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from newform_common.events import DomainEvent, event_type, write_event_schemas
from newform_common.findings import finding_event
from newform_common.schedules import deadline_recomputed_event

#: A rule was found broken in a fact this service accepted.
FindingRaised = finding_event("unions")
DeadlineRecomputed = deadline_recomputed_event("unions")  # a clock recomputed when a holiday schedule loads

SCHEMA_DIR = Path(__file__).parent / "event_schemas"

UnionKind = Literal["enterprise", "joint", "sector", "district"]
CollectiveContractKind = Literal["enterprise", "sector", "district"]
EndReason = Literal["expired", "terminated", "superseded"]


# -- union organisations ------------------------------------------------------------------------------
class _UnionFacts(DomainEvent):
    union_id: str
    name: str
    kind: UnionKind
    platform_ids: list[str]
    districts: list[str]
    established_on: date
    at: datetime


@event_type("unions.union.registered.v1", key="union_id")
class UnionRegistered(_UnionFacts):
    """The union department registered a union organisation (单独/联合/行业/区域建会) and what it covers."""


@event_type("unions.union.updated.v1", key="union_id")
class UnionUpdated(_UnionFacts):
    """The platforms or districts a union covers changed (its state after the change)."""


# -- membership ---------------------------------------------------------------------------------------
class _MembershipFacts(DomainEvent):
    membership_id: str
    union_id: str
    worker_id: str
    platform_id: str | None = None
    district: str | None = None
    status: str
    at: datetime


@event_type("unions.membership.applied.v1", key="worker_id")
class MembershipApplied(_MembershipFacts):
    """A worker applied online to join a union (or to transfer to it from their current one)."""

    transfer_from: str | None = None


@event_type("unions.membership.accepted.v1", key="worker_id")
class MembershipAccepted(_MembershipFacts):
    """The union accepted the application: the worker is a member (a transfer ended the old membership)."""

    joined_on: date
    transfer_from: str | None = None


@event_type("unions.membership.refused.v1", key="worker_id")
class MembershipRefused(_MembershipFacts):
    """The union refused the application, with its reason."""

    reason: str


@event_type("unions.membership.ended.v1", key="worker_id")
class MembershipEnded(_MembershipFacts):
    """A membership ended: transferred to another union, or left."""

    ended_on: date
    reason: str


# -- consultation on rules (M10) ----------------------------------------------------------------------
class _ConsultationFacts(DomainEvent):
    consultation_id: str
    union_id: str
    platform_id: str
    topic: str
    base_version: int | None = None
    status: str
    requested_on: date
    at: datetime


@event_type("unions.consultation.requested.v1", key="consultation_id")
class ConsultationRequested(_ConsultationFacts):
    """The union asked the platform to consult it on a rule (劳动合同法 art. 4); the reply clock runs."""

    reply_due_on: date


@event_type("unions.consultation.replied.v1", key="consultation_id")
class ConsultationReplied(_ConsultationFacts):
    """The platform replied to the union's request."""

    replied_on: date


@event_type("unions.consultation.concluded.v1", key="consultation_id")
class ConsultationConcluded(_ConsultationFacts):
    """The consultation's outcome is recorded (agreed, or not agreed with the union's opinions on record)."""

    outcome: Literal["agreed", "not_agreed"]
    concluded_on: date


# -- collective contracts -----------------------------------------------------------------------------
class PieceRate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    occupation: str
    order_type: str
    min_rate_fen: int


class Quota(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    occupation: str
    max_orders_per_day: int


class Terms(BaseModel):
    """The bargained standards as structured data: no individual contract or pay may be below them
    (劳动合同法 art. 55)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    piece_rates: list[PieceRate]
    quotas: list[Quota]
    bad_weather_allowance_fen_per_day: int | None
    night_allowance_fen_per_hour: int | None


class _ContractFacts(DomainEvent):
    collective_contract_id: str
    union_id: str
    kind: CollectiveContractKind
    platform_ids: list[str]
    status: str
    at: datetime


@event_type("unions.collective_contract.signed.v1", key="collective_contract_id")
class CollectiveContractSigned(_ContractFacts):
    """Signed by the parties; it must reach hrss within 10 days (集体合同规定 art. 42)."""

    signed_on: date
    submit_by: date


@event_type("unions.collective_contract.submitted.v1", key="collective_contract_id")
class CollectiveContractSubmitted(_ContractFacts):
    """Submitted to hrss; in force unless hrss objects within 15 days of receipt (集体合同规定 art. 47)."""

    submitted_on: date
    received_on: date
    objection_deadline: date
    late: bool


@event_type("unions.collective_contract.returned.v1", key="collective_contract_id")
class CollectiveContractReturned(_ContractFacts):
    """hrss objected: the contract goes back to the parties with the reasons (集体合同规定 art. 44)."""

    objected_on: date
    reasons: list[str]


@event_type("unions.collective_contract.in_force.v1", key="collective_contract_id")
class CollectiveContractInForce(DomainEvent):
    """A collective contract entered into force (hrss approved it, or raised no objection within 15 days
    of receipt: 劳动合同法 art. 54, 集体合同规定 art. 47). Consumed by wages and contracts: the standard
    binding `platform_ids` in `districts` (empty: all) for `occupations` (empty: all) from
    `effective_from` to `effective_until` (None: open)."""

    collective_contract_id: str
    union_id: str
    kind: CollectiveContractKind
    platform_ids: list[str]
    districts: list[str]
    occupations: list[str]
    effective_from: date
    effective_until: date | None
    in_force_on: date
    terms: Terms


@event_type("unions.collective_contract.ended.v1", key="collective_contract_id")
class CollectiveContractEnded(DomainEvent):
    """A collective contract in force ended: its term expired, it was terminated, or a newer one superseded it."""

    collective_contract_id: str
    ended_on: date
    reason: EndReason
    union_id: str | None = None
    platform_ids: list[str] = []


if __name__ == "__main__":
    for path in write_event_schemas("unions", SCHEMA_DIR):
        print(path)
