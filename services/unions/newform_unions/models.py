"""The unions service's tables, and beside each aggregate's table its states as a `StrEnum` with
the allowed transitions as data (`ALLOWED_…: dict[State, frozenset[State]]`). The common tables
(outbox, inbox, idempotency keys, findings, deadlines) come from libs/common's migration branch.

Aggregates: union organisations (M17), memberships (M17, one live membership per person, enforced by
a partial unique index), consultations on platform rules (M10), collective contracts (M17; 劳动合同法
arts. 51–56). Two local copies fed by contracts' events: worker registrations (coverage) and rule
versions (M10)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field

from newform_common.db import json_field, service_base, timestamp_field
from newform_common.states import transitions

ServiceModel = service_base()


class Union(ServiceModel, table=True):
    """A union organisation: 单独建会 (`enterprise`: one platform enterprise), 联合建会 (`joint`: several
    enterprises), 行业建会 (`sector`), 区域建会 (`district`), with the platforms and districts it covers."""

    __tablename__ = "unions"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)  # enterprise | joint | sector | district
    platform_ids: list[str] = json_field()
    districts: list[str] = json_field()
    sector: str | None = Field(default=None, max_length=32)
    established_on: date
    created_by: str = Field(max_length=100)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class MembershipStatus(StrEnum):
    """A membership's states, the words stored in `memberships.status` and published on
    `unions.membership.*` events."""

    applied = "applied"  # the worker applied online; the union has not decided
    active = "active"  # accepted: a member
    refused = "refused"  # the union refused the application, with a reason
    transferred = "transferred"  # ended by a transfer to another union (the worker changed platform)
    left = "left"  # the worker left the union


ALLOWED_MEMBERSHIP: dict[MembershipStatus, frozenset[MembershipStatus]] = transitions(
    {
        MembershipStatus.applied: {MembershipStatus.active, MembershipStatus.refused},
        MembershipStatus.active: {MembershipStatus.transferred, MembershipStatus.left},
        MembershipStatus.refused: set(),
        MembershipStatus.transferred: set(),
        MembershipStatus.left: set(),
    }
)


class Membership(ServiceModel, table=True):
    """A worker's membership (or application) in a union; the database itself refuses a second active
    membership, or a second open application, of one person (one membership at a time, 工会法 art. 3)."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index("uq_memberships_one_active", "worker_id", unique=True, postgresql_where=text("status = 'active'")),
        Index("uq_memberships_one_applied", "worker_id", unique=True, postgresql_where=text("status = 'applied'")),
        Index("ix_memberships_union", "union_id", "status"),
        Index("ix_memberships_platform", "platform_id", "status"),
    )

    id: str = Field(primary_key=True, max_length=64)
    union_id: str = Field(foreign_key="unions.id", max_length=64)
    worker_id: str = Field(max_length=64)
    platform_id: str | None = Field(default=None, max_length=64)  # the platform it joins through
    district: str | None = Field(default=None, max_length=32)  # or the district
    status: str = Field(max_length=16)  # a MembershipStatus
    transfer_from: str | None = Field(default=None, max_length=64)  # the membership a transfer ends
    reason: str | None = None  # a refusal's reason, or why it ended
    applied_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
    joined_on: date | None = None
    ended_on: date | None = None


class WorkerRegistration(ServiceModel, table=True):
    """A worker's registration with a platform, from contracts' `worker.registered` (coverage's denominator
    and the platform a worker may join through); `active` while no cancellation of it is in effect
    (`account.restricted` with `cancel`, not followed by its `account.restriction_lifted`)."""

    __tablename__ = "worker_registrations"
    __table_args__ = (UniqueConstraint("platform_id", "worker_id", name="uq_worker_registrations_platform_worker"),)

    registration_id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(max_length=64, index=True)
    platform_id: str = Field(max_length=64, index=True)
    occupation: str = Field(max_length=32)
    residence_district: str = Field(max_length=32)
    registered_at: datetime = timestamp_field()
    active: bool = True


class RegistrationRestriction(ServiceModel, table=True):
    """A restriction or cancellation of a registration and whether it was lifted, from contracts'
    `account.restricted` and `account.restriction_lifted` (M5): a registration is `active` while none of
    its cancellations is in effect (RULES.md "Union coverage"). Either event may make the row, so the
    copy ends the same whatever order a replay brings them in."""

    __tablename__ = "registration_restrictions"
    __table_args__ = (Index("ix_registration_restrictions_registration", "worker_id", "platform_id"),)

    restriction_id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(max_length=64)
    platform_id: str = Field(max_length=64)
    action: str | None = Field(default=None, max_length=16)  # restrict | cancel; None: only the lift known yet
    lifted_at: datetime | None = timestamp_field(nullable=True)


class RuleVersion(ServiceModel, table=True):
    """A version of a platform's rule or algorithm, from contracts' `rule_notice.published` (M10)."""

    __tablename__ = "rule_versions"
    __table_args__ = (UniqueConstraint("platform_id", "topic", "version", name="uq_rule_versions_version"),)

    notice_id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(max_length=64, index=True)
    topic: str = Field(max_length=32)
    version: int
    consulted: bool
    published_on: date
    effective_on: date
    received_at: datetime = timestamp_field()


class ConsultationStatus(StrEnum):
    """A consultation's states (`consultations.status`, published on `unions.consultation.*`)."""

    requested = "requested"  # the union asked; the platform's reply clock runs
    replied = "replied"  # the platform replied; opinions are exchanged
    concluded = "concluded"  # the outcome is recorded (agreed or not agreed)


ALLOWED_CONSULTATION: dict[ConsultationStatus, frozenset[ConsultationStatus]] = transitions(
    {
        ConsultationStatus.requested: {ConsultationStatus.replied},
        ConsultationStatus.replied: {ConsultationStatus.concluded},
        ConsultationStatus.concluded: set(),
    }
)


class Consultation(ServiceModel, table=True):
    """A union's request to consult on a platform's rule (劳动合同法 art. 4; the measures item 10), the
    platform's reply, the opinions exchanged and the outcome."""

    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_platform_topic", "platform_id", "topic"),)

    id: str = Field(primary_key=True, max_length=64)
    union_id: str = Field(foreign_key="unions.id", max_length=64, index=True)
    platform_id: str = Field(max_length=64)
    topic: str = Field(max_length=32)
    base_version: int | None = None  # the published version it asks to reconsider (None: the topic's next)
    subject: str
    status: str = Field(max_length=16)  # a ConsultationStatus
    requested_on: date
    reply_due_on: date
    replied_on: date | None = None
    reply: str | None = None
    opinions: list[dict[str, Any]] = json_field()  # [{by: union|platform, on, text}]
    outcome: str | None = Field(default=None, max_length=16)  # agreed | not_agreed
    concluded_on: date | None = None
    created_at: datetime = timestamp_field()


class CollectiveContractStatus(StrEnum):
    """A collective contract's states (`collective_contracts.status`, published on
    `unions.collective_contract.*`)."""

    draft = "draft"  # being negotiated
    signed = "signed"  # signed by both parties; 10 days to submit to hrss (集体合同规定 art. 42)
    submitted = "submitted"  # received by hrss; in force unless it objects within 15 days (art. 47)
    returned = "returned"  # hrss objected (art. 44): back to the parties, to be renegotiated
    in_force = "in_force"  # approved, or no objection within 15 days of receipt
    ended = "ended"  # expired, terminated or superseded


ALLOWED_CONTRACT: dict[CollectiveContractStatus, frozenset[CollectiveContractStatus]] = transitions(
    {
        CollectiveContractStatus.draft: {CollectiveContractStatus.signed},
        CollectiveContractStatus.signed: {CollectiveContractStatus.submitted},
        CollectiveContractStatus.submitted: {CollectiveContractStatus.in_force, CollectiveContractStatus.returned},
        CollectiveContractStatus.returned: {CollectiveContractStatus.draft},
        CollectiveContractStatus.in_force: {CollectiveContractStatus.ended},
        CollectiveContractStatus.ended: set(),
    }
)


class CollectiveContract(ServiceModel, table=True):
    """A collective contract between a union and one platform (`enterprise`), a sector association
    (`sector`) or the enterprises of a district (`district`), with its terms as structured data."""

    __tablename__ = "collective_contracts"

    id: str = Field(primary_key=True, max_length=64)
    union_id: str = Field(foreign_key="unions.id", max_length=64, index=True)
    kind: str = Field(max_length=16)  # enterprise | sector | district
    title: str = Field(max_length=200)
    platform_ids: list[str] = json_field()
    sector_association: str | None = Field(default=None, max_length=200)
    districts: list[str] = json_field()
    occupations: list[str] = json_field()
    effective_from: date
    effective_until: date | None = None
    terms: dict[str, Any] = json_field()
    status: str = Field(max_length=16, index=True)  # a CollectiveContractStatus
    signed_on: date | None = None
    submitted_on: date | None = None
    received_on: date | None = None
    submitted_late: bool = False
    objected_on: date | None = None
    objections: list[str] | None = json_field(nullable=True)
    in_force_on: date | None = None
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=16)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
