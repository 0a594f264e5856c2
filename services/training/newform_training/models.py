"""The training service's tables, and a claim's states beside them. Workers are known by their
pseudonymous id only (`w_…`)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field

from newform_common.db import json_field, service_base, timestamp_field
from newform_common.states import transitions

ServiceModel = service_base()


class Provider(ServiceModel, table=True):
    """A training institution, or an enterprise that trains its own workers (M13: paid directly)."""

    __tablename__ = "providers"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)  # institution | enterprise
    credit_code: str = Field(max_length=18, unique=True)
    platform_id: str | None = Field(default=None, max_length=64, index=True)  # an enterprise's platform
    district: str = Field(max_length=32)
    occupations: list[str] = json_field()  # accredited to train
    accredited_until: date | None = None
    created_at: datetime = timestamp_field()


class CertificationBody(ServiceModel, table=True):
    """A recognised skill-level certification body and what it may certify (occupation → levels)."""

    __tablename__ = "certification_bodies"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, unique=True)
    scope: dict[str, Any] = json_field()
    active: bool = True
    created_at: datetime = timestamp_field()


class Course(ServiceModel, table=True):
    __tablename__ = "courses"

    id: str = Field(primary_key=True, max_length=64)
    provider_id: str = Field(foreign_key="providers.id", max_length=64, index=True)
    occupation: str = Field(max_length=32)
    level: int
    district: str = Field(max_length=32)  # where the training takes place
    starts_on: date
    ends_on: date
    created_at: datetime = timestamp_field()


class Enrolment(ServiceModel, table=True):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("course_id", "worker_id", name="uq_enrolments_course_worker"),)

    id: str = Field(primary_key=True, max_length=64)
    course_id: str = Field(foreign_key="courses.id", max_length=64, index=True)
    worker_id: str = Field(max_length=64, index=True)
    enrolled_by: str = Field(max_length=16)  # worker | enterprise
    platform_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = timestamp_field()


class Certificate(ServiceModel, table=True):
    __tablename__ = "certificates"

    number: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(max_length=64, index=True)
    body_id: str = Field(foreign_key="certification_bodies.id", max_length=64)
    occupation: str = Field(max_length=32)
    level: int
    issued_on: date
    course_id: str | None = Field(default=None, foreign_key="courses.id", max_length=64)
    created_at: datetime = timestamp_field()


class WorkerPlace(ServiceModel, table=True):
    """Where a worker lives and is registered, from contracts' worker.registered events."""

    __tablename__ = "worker_places"

    worker_id: str = Field(primary_key=True, max_length=64)
    household_region: str = Field(max_length=6)
    residence_district: str = Field(max_length=32)
    updated_at: datetime = timestamp_field()


class VerifiedPlace(ServiceModel, table=True):
    """A department's fact on where a worker may train with a subsidy (M13): public security's household
    registration (`household_registration`: `region_code`) or hrss's job-seeking registration
    (`job_seeking_registration`: `district`), valid from/until, as the department last stated it."""

    __tablename__ = "verified_places"

    fact_id: str = Field(primary_key=True, max_length=40)
    worker_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=40)
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    region_code: str | None = Field(default=None, max_length=6)
    district: str | None = Field(default=None, max_length=32)
    valid_from: date | None = None
    valid_until: date | None = None
    version: int
    observed_at: datetime = timestamp_field()


class ClaimStatus(StrEnum):
    """A claim's states: the values are the words stored in `claims.status` and published in the API's
    `status` and on every `training.claim.*` event (unchanged); the names say what each means.

    Two ways a claim ends unpaid, two words that must not be confused (README, *Claim statuses*):
    `rejected` is hrss's decision on review, with its reason; `refused` is a second claim on an already
    claimed certificate, turned away at submission (409) and kept only as evidence — it was never
    submitted for review. Both are published as `training.claim.rejected.v1`, told apart by `status`."""

    SUBMITTED = "submitted"  # passed the M13 checks, awaiting hrss's review
    QUEUED = "queued"  # approved on review, waiting for the district's budget
    APPROVED = "approved"  # approved and funded from the district's budget
    REJECTED_ON_REVIEW = "rejected"  # hrss decided against it, with a reason
    PAID = "paid"
    DUPLICATE_REFUSED = "refused"  # a second claim on a certificate, kept as evidence (never reviewed)


#: The moves a claim may make; every status change is checked against this (service.move_claim).
ALLOWED: dict[ClaimStatus, frozenset[ClaimStatus]] = transitions(
    {
        ClaimStatus.SUBMITTED: {ClaimStatus.APPROVED, ClaimStatus.QUEUED, ClaimStatus.REJECTED_ON_REVIEW},
        ClaimStatus.QUEUED: {ClaimStatus.APPROVED},  # funded, first come first served
        ClaimStatus.APPROVED: {ClaimStatus.PAID},
        ClaimStatus.REJECTED_ON_REVIEW: set(),
        ClaimStatus.PAID: set(),
        ClaimStatus.DUPLICATE_REFUSED: set(),
    }
)

#: A claim that still counts (for the one-live-claim-per-certificate index and the duplicate rules).
LIVE_CLAIM = f"status <> '{ClaimStatus.REJECTED_ON_REVIEW}' AND status <> '{ClaimStatus.DUPLICATE_REFUSED}'"


class Claim(ServiceModel, table=True):
    """A subsidy claim. The database itself refuses a second live claim on one certificate."""

    __tablename__ = "claims"
    __table_args__ = (
        Index("uq_claims_live_certificate", "certificate_number", unique=True, postgresql_where=text(LIVE_CLAIM)),
        Index("ix_claims_worker", "worker_id", "occupation", "level"),
    )

    id: str = Field(primary_key=True, max_length=64)
    certificate_number: str = Field(max_length=64)
    worker_id: str = Field(max_length=64)
    channel: str = Field(max_length=16)  # worker | enterprise
    payee: str = Field(max_length=16)  # worker | enterprise
    provider_id: str | None = Field(default=None, max_length=64)  # the enterprise paid, or who trained
    platform_id: str | None = Field(default=None, max_length=64, index=True)
    occupation: str = Field(max_length=32)
    level: int
    training_district: str = Field(max_length=32)
    job_seeking_district: str | None = Field(default=None, max_length=32)
    # Which ground made the training place eligible and on whose word (rules.PlaceGround.as_dict).
    place_basis: dict[str, Any] | None = json_field(nullable=True)
    amount_fen: int
    year: int
    status: str = Field(max_length=16, index=True)  # a ClaimStatus
    reason: str | None = None
    first_claim_id: str | None = Field(default=None, max_length=64)
    payment_reference: str | None = Field(default=None, max_length=100)
    submitted_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
    paid_at: datetime | None = timestamp_field(nullable=True)


class Budget(ServiceModel, table=True):
    """A district's yearly subsidy budget, drawn down by approvals."""

    __tablename__ = "budgets"

    district: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True)
    total_fen: int
    committed_fen: int = 0
    updated_at: datetime = timestamp_field()
