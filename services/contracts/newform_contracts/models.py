"""The contracts service's tables, for every aggregate, and the states of those that have a lifecycle
(`StrEnum`s beside their tables, the allowed transitions as data). Personal data (names, ID numbers,
phones) is stored encrypted, with a keyed hash where a look-up is needed; workers are known by a
pseudonymous id.

One module, not one per aggregate: the tables reference each other (a contract names its enterprise and
registration, a restriction its registration), the drafting hot path and the employment report read
across them in one statement, and the migrations' metadata is this one base."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from newform_common.db import service_base
from newform_common.ids import new_id  # noqa: F401  (re-exported for the service)
from newform_common.states import transitions

ServiceModel = service_base()


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _json(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSONB, nullable=nullable))


class Enterprise(ServiceModel, table=True):
    __tablename__ = "enterprises"
    __table_args__ = (UniqueConstraint("platform_id", "credit_code", name="uq_enterprises_platform_credit_code"),)

    id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=32)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18)
    district: str = Field(max_length=32)
    occupations: list[str] = _json()
    dispatch_licence_number: str | None = Field(default=None, max_length=100)
    dispatch_licence_valid_until: date | None = None
    qualified: bool = True
    registered_at: datetime = _ts()


class Worker(ServiceModel, table=True):
    """One row per person: the pseudonymous id and the encrypted ID number."""

    __tablename__ = "workers"

    worker_id: str = Field(primary_key=True, max_length=64)
    id_number_encrypted: str
    id_number_hash: str = Field(max_length=64, unique=True)
    household_registration_region: str = Field(max_length=6)
    created_at: datetime = _ts()


class RegistrationStatus(StrEnum):
    """A worker's registration with one platform (M5): restricted or cancelled by the platform, active
    again once every restriction on it is lifted."""

    active = "active"
    restricted = "restricted"
    cancelled = "cancelled"


#: A cancelled registration takes no further restriction (409); a lift reopens any.
REGISTRATION_ALLOWED: dict[RegistrationStatus, frozenset[RegistrationStatus]] = transitions(
    {
        RegistrationStatus.active: {RegistrationStatus.restricted, RegistrationStatus.cancelled},
        RegistrationStatus.restricted: {
            RegistrationStatus.restricted,
            RegistrationStatus.cancelled,
            RegistrationStatus.active,
        },
        RegistrationStatus.cancelled: {RegistrationStatus.active},
    }
)


class Registration(ServiceModel, table=True):
    """One row per (worker, platform): what that platform registered."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("worker_id", "platform_id", name="uq_registrations_worker_platform"),)

    id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(index=True, foreign_key="workers.worker_id", max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    name_encrypted: str
    phone_encrypted: str
    phone_hash: str = Field(max_length=64, index=True)
    occupation: str = Field(max_length=32)
    household_registration_place: str | None = Field(default=None, max_length=200)
    residence_district: str = Field(max_length=32)
    status: str = Field(default="active", max_length=16)
    registered_at: datetime = _ts()


class ContractStatus(StrEnum):
    """A contract's lifecycle: draft → sent → signed → terminated | expired; draft → discarded (the words
    stored, published and answered)."""

    draft = "draft"
    sent = "sent"
    signed = "signed"
    terminated = "terminated"
    expired = "expired"
    discarded = "discarded"


#: The lifecycle as data; `contracts.service` checks every move against it (409 `illegal-transition`).
ALLOWED: dict[ContractStatus, frozenset[ContractStatus]] = transitions(
    {
        ContractStatus.draft: {ContractStatus.sent, ContractStatus.discarded},
        ContractStatus.sent: {ContractStatus.signed},
        ContractStatus.signed: {ContractStatus.terminated, ContractStatus.expired},
        ContractStatus.terminated: set(),
        ContractStatus.expired: set(),
        ContractStatus.discarded: set(),
    }
)
#: A contract that binds (or is about to bind) the worker: overlaps and departments' facts judge these.
LIVE_CONTRACT = (ContractStatus.sent, ContractStatus.signed)
#: A contract both parties signed, whatever became of it since: what the employment report counts.
SIGNED_CONTRACT = (ContractStatus.signed, ContractStatus.terminated, ContractStatus.expired)


class Contract(ServiceModel, table=True):
    __tablename__ = "contracts"

    id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    enterprise_id: str = Field(index=True, foreign_key="enterprises.id", max_length=64)
    registration_id: str = Field(foreign_key="registrations.id", max_length=64)
    worker_id: str = Field(index=True, max_length=64)
    engagement_type: str = Field(max_length=32)
    suggested_type: str = Field(max_length=32)
    part_time: bool = False
    occupation: str = Field(max_length=32)
    district: str = Field(max_length=32)
    start_date: date
    end_date: date | None = None
    terms: dict[str, Any] = _json()
    engagement_facts: dict[str, Any] = _json()
    document_text: str  # encrypted (PII cipher, context contracts.document_text): documents name the worker
    document_sha256: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=16, index=True)
    termination_reason: str | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ContractTransition(ServiceModel, table=True):
    """Every lifecycle step of a contract, in order (draft → sent → signed → terminated | expired)."""

    __tablename__ = "contract_transitions"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(index=True, foreign_key="contracts.id", max_length=64)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor: str = Field(max_length=200)
    reason: str | None = None
    at: datetime = _ts()


class EvidenceRecord(ServiceModel, table=True):
    """A signature's evidence: hash-chained and sealed with the service's Ed25519 key (M4)."""

    __tablename__ = "evidence_records"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq", name="uq_evidence_contract_seq"),
        UniqueConstraint("contract_id", "signer", name="uq_evidence_contract_signer"),
    )

    id: str = Field(primary_key=True, max_length=64)
    contract_id: str = Field(index=True, foreign_key="contracts.id", max_length=64)
    seq: int
    document_sha256: str = Field(max_length=64)
    signer: str = Field(max_length=16)
    intent: str
    signed_at: datetime = _ts()
    previous_hash: str | None = Field(default=None, max_length=64)
    record_hash: str = Field(max_length=64)
    seal: str
    key_id: str = Field(max_length=64)


class AccountRestriction(ServiceModel, table=True):
    __tablename__ = "account_restrictions"

    id: str = Field(primary_key=True, max_length=64)
    registration_id: str = Field(index=True, foreign_key="registrations.id", max_length=64)
    worker_id: str = Field(index=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    action: str = Field(max_length=16)
    reason_code: str = Field(max_length=64)
    reason_listed: bool
    reason_text: str | None = None
    notice_given_at: datetime | None = _ts(nullable=True)
    notice_days: int = 0
    effective_at: datetime = _ts()
    created_at: datetime = _ts()
    lifted_at: datetime | None = _ts(nullable=True)
    lifted_by: str | None = Field(default=None, max_length=200)
    lift_reason: str | None = None


class AppealStatus(StrEnum):
    """An appeal against a restriction: open until the restriction is lifted."""

    open = "open"
    closed = "closed"


class RestrictionAppeal(ServiceModel, table=True):
    """A worker's appeal against a restriction or cancellation (M5, M10's 申诉机制)."""

    __tablename__ = "restriction_appeals"

    id: str = Field(primary_key=True, max_length=64)
    restriction_id: str = Field(index=True, foreign_key="account_restrictions.id", max_length=64)
    worker_id: str = Field(index=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    grounds: str
    submitted_by: str = Field(max_length=200)
    submitted_at: datetime = _ts()
    status: str = Field(default="open", max_length=16)
    closed_at: datetime | None = _ts(nullable=True)


class RuleNotice(ServiceModel, table=True):
    """One version of a platform's rule or algorithm on a topic (M10); every version is kept."""

    __tablename__ = "rule_notices"
    __table_args__ = (UniqueConstraint("platform_id", "topic", "version", name="uq_rule_notices_version"),)

    id: str = Field(primary_key=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    topic: str = Field(max_length=32)
    version: int
    title: str = Field(max_length=200)
    content: str
    consultation: dict[str, Any] | None = _json(nullable=True)
    consulted: bool
    published_on: date
    effective_on: date
    created_at: datetime = _ts()
    # M8: the rule's safety-relevant indicators as numbers (minimum delivery time, on-time and online-rate
    # targets, penalty per late order), judged against the policy; null for a notice without any.
    safety_indicators: dict[str, Any] | None = _json(nullable=True)


class HeldStatus(StrEnum):
    """A finding on a draft: held, then raised when the contract is sent or withdrawn when it is discarded."""

    held = "held"
    raised = "raised"
    withdrawn = "withdrawn"


HELD_ALLOWED: dict[HeldStatus, frozenset[HeldStatus]] = transitions(
    {
        HeldStatus.held: {HeldStatus.raised, HeldStatus.withdrawn},
        HeldStatus.raised: set(),
        HeldStatus.withdrawn: set(),
    }
)


class HeldFinding(ServiceModel, table=True):
    """A finding on a draft, held: raised (the common findings table and its event) when the contract
    is sent, withdrawn when the draft is discarded (issue 8 item 12, RULES.md)."""

    __tablename__ = "held_findings"

    id: str = Field(primary_key=True, max_length=64)
    contract_id: str = Field(index=True, foreign_key="contracts.id", max_length=64)
    measure: str = Field(max_length=4)
    rule: str = Field(max_length=100)
    severity: str = Field(max_length=8)
    summary: str
    evidence: dict[str, Any] = _json()
    judged_on: date  # the drafting day: the finding is judged under the policy of that day when raised
    observed_at: datetime = _ts()
    # held | raised | withdrawn; once raised, `finding_id` names the finding in the findings table.
    status: str = Field(default="held", max_length=16)
    finding_id: str | None = Field(default=None, max_length=64)


class PiiAccessLog(ServiceModel, table=True):
    """Every read of unmasked personal data: who, what, when and why."""

    __tablename__ = "pii_access_log"

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=200)
    role: str = Field(max_length=32)
    resource_type: str = Field(max_length=32)
    resource_id: str = Field(max_length=200)
    fields: list[str] = _json()
    purpose: str
    at: datetime = _ts()


# ---------------------------------------------------------------------------------------------
# Verified facts from departments (verified/): contracts' own copy of departments.* events
# ---------------------------------------------------------------------------------------------
class VerifiedInsurance(ServiceModel, table=True):
    """The latest statement of one department record on a worker's insurance enrolment."""

    __tablename__ = "verified_insurance"

    fact_id: str = Field(primary_key=True, max_length=40)
    worker_id: str = Field(index=True, max_length=64)
    insurance_type: str = Field(max_length=32)
    status: str = Field(max_length=16)
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    start_date: date | None = None
    end_date: date | None = None
    version: int
    observed_at: datetime = _ts()


class VerifiedLicence(ServiceModel, table=True):
    """A labour-dispatch licence as hrss last stated it."""

    __tablename__ = "verified_licences"

    fact_id: str = Field(primary_key=True, max_length=40)
    licence_number: str = Field(max_length=100)
    holder_credit_code: str = Field(index=True, max_length=18)
    valid_from: date
    valid_until: date
    revoked_on: date | None = None
    effective_until: date
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    version: int


class VerifiedEnterprise(ServiceModel, table=True):
    """An enterprise's registration status and qualification as market last stated it."""

    __tablename__ = "verified_enterprises"

    fact_id: str = Field(primary_key=True, max_length=40)
    credit_code: str = Field(index=True, max_length=18)
    registration_status: str = Field(max_length=16)
    qualified: bool
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    version: int
    # The days the record speaks for (M3 asks about day D), and when market stated it.
    valid_from: date | None = None
    valid_until: date | None = None
    observed_at: datetime | None = _ts(nullable=True)


class LiabilityShift(ServiceModel, table=True):
    """From `since`, `liable_party` bears the liability for a contract, on a department's fact."""

    __tablename__ = "verified_liability"

    contract_id: str = Field(primary_key=True, max_length=64)
    fact_id: str = Field(primary_key=True, max_length=40)
    liable_party: str = Field(max_length=16)
    since: date
    source: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    reason: str = Field(max_length=16)  # revoked | expired


# ---------------------------------------------------------------------------------------------
# Collective contracts from unions (collective/): contracts' own copy of unions.collective_contract.*
# ---------------------------------------------------------------------------------------------
class CollectiveContract(ServiceModel, table=True):
    """A collective contract in force as unions published it, with its end once it ended (kept, not
    deleted: a contract is judged under the collective contract in force over its term)."""

    __tablename__ = "collective_contracts"
    __table_args__ = (Index("ix_collective_contracts_platforms", "platform_ids", postgresql_using="gin"),)

    collective_contract_id: str = Field(primary_key=True, max_length=64)
    union_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    platform_ids: list[str] = _json()
    districts: list[str] = _json()  # [] = every district
    occupations: list[str] = _json()  # [] = every occupation
    effective_from: date
    effective_until: date | None = None
    in_force_on: date
    terms: dict[str, Any] = _json()
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=16)
    updated_at: datetime = _ts()


class WeatherWarning(ServiceModel, table=True):
    """contracts' copy of the emergency department's bad-weather warnings (departments.events, M8): what the
    platforms' responses answer and the response clocks wait on. The highest version stated is kept."""

    __tablename__ = "weather_warnings"
    __table_args__ = (Index("ix_weather_warnings_district", "district", "starts_at"),)

    warning_id: str = Field(primary_key=True, max_length=40)  # the departments' fact id
    reference: str = Field(max_length=100)
    version: int
    district: str = Field(max_length=32)
    level: str = Field(max_length=8)
    hazard: str = Field(max_length=16)
    starts_at: datetime = _ts()
    ends_at: datetime | None = _ts(nullable=True)
    cancelled_at: datetime | None = _ts(nullable=True)
    source: str = Field(max_length=200)
    observed_at: datetime = _ts()
    updated_at: datetime = _ts()


class WeatherResponse(ServiceModel, table=True):
    """What a platform declared it did for a warning (M8): dispatch limited or suspended, completion times
    extended, the rule change in the register. Every declaration is kept (a later one adds to the first)."""

    __tablename__ = "weather_responses"
    __table_args__ = (Index("ix_weather_responses_warning", "warning_id", "platform_id"),)

    id: str = Field(primary_key=True, max_length=64)
    warning_id: str = Field(max_length=40)
    platform_id: str = Field(index=True, max_length=64)
    dispatch: str = Field(max_length=16)  # limited | suspended | unchanged
    completion_time_extended_minutes: int = 0
    rule_notice_id: str | None = Field(default=None, max_length=64)
    note: str | None = None
    taken_at: datetime = _ts()
    declared_at: datetime = _ts()
