"""The events the contracts service publishes on `contracts.events` (the catalogue in the brief,
shared with the gateway). Workers appear only by their pseudonymous id; never an ID number or phone.

The JSON Schemas of these models are committed under `event_schemas/`; `write_event_schemas()`
regenerates them and a test checks every model stays backward compatible with them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from newform_common import events
from newform_common.events import DomainEvent, event_type, registry
from newform_common.findings import finding_event

EnterpriseKind = Literal["platform", "dispatch_agency", "outsourcer", "franchisee", "agent"]
EngagementType = Literal["labor_contract", "work_agreement", "civil"]
PayPeriod = Literal["hour", "day", "week", "month"]
Signer = Literal["worker", "enterprise"]
RuleTopic = Literal["platform_entry_exit", "order_allocation", "piece_rates", "commission_ratio", "pay_composition",
                    "working_hours", "rewards_penalties"]

SCHEMA_DIR = Path(__file__).parent / "event_schemas"


@event_type("contracts.enterprise.registered.v1", key="enterprise_id")
class EnterpriseRegistered(DomainEvent):
    """A platform or a cooperating enterprise was registered."""

    enterprise_id: str
    name: str
    kind: EnterpriseKind
    platform_id: str
    credit_code: str
    district: str
    occupations: list[str]
    dispatch_licence_valid_until: date | None
    qualified: bool
    registered_at: datetime


@event_type("contracts.worker.registered.v1", key="worker_id")
class WorkerRegistered(DomainEvent):
    """A platform registered a worker (pseudonymous id; same person, same id on every platform)."""

    worker_id: str
    registration_id: str
    platform_id: str
    occupation: str
    residence_district: str
    household_registration_region: str
    registered_at: datetime


class InsuranceFlags(BaseModel):
    work_injury: bool
    occupational_injury: bool
    accident: bool


@event_type("contracts.contract.drafted.v1", key="worker_id")
class ContractDrafted(DomainEvent):
    """A contract or agreement was drafted."""

    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: EngagementType
    part_time: bool
    occupation: str
    district: str
    start_date: date
    end_date: date | None
    pay_period: PayPeriod
    insurance: InsuranceFlags
    drafted_at: datetime


class _ContractTransition(DomainEvent):
    contract_id: str
    worker_id: str
    platform_id: str
    enterprise_id: str
    engagement_type: EngagementType
    at: datetime


@event_type("contracts.contract.sent.v1", key="worker_id")
class ContractSent(_ContractTransition):
    """A drafted contract was sent to the worker for signing."""


@event_type("contracts.contract.signed.v1", key="worker_id")
class ContractSigned(_ContractTransition):
    """Both parties signed; the contract is in force."""

    document_sha256: str
    signed_by: list[Signer]


@event_type("contracts.contract.terminated.v1", key="worker_id")
class ContractTerminated(_ContractTransition):
    """A signed contract was terminated."""

    reason: str


@event_type("contracts.contract.discarded.v1", key="worker_id")
class ContractDiscarded(_ContractTransition):
    """The platform discarded a draft that was never sent; its provisional findings are withdrawn."""

    withdrawn_findings: int


@event_type("contracts.contract.expired.v1", key="worker_id")
class ContractExpired(_ContractTransition):
    """A signed contract reached the end of its term."""


@event_type("contracts.account.restricted.v1", key="worker_id")
class AccountRestricted(DomainEvent):
    """A platform restricted or cancelled a worker's registration (for the disputes service, M5)."""

    restriction_id: str
    worker_id: str
    platform_id: str
    action: Literal["restrict", "cancel"]
    reason_code: str
    reason_listed: bool
    notice_days: int
    effective_at: datetime


@event_type("contracts.account.restriction_appealed.v1", key="worker_id")
class RestrictionAppealed(DomainEvent):
    """A worker appealed against a restriction or cancellation of his registration (M5)."""

    appeal_id: str
    restriction_id: str
    worker_id: str
    platform_id: str
    submitted_at: datetime


@event_type("contracts.account.restriction_lifted.v1", key="worker_id")
class RestrictionLifted(DomainEvent):
    """A restriction or cancellation was lifted: the registration is active again (M5)."""

    restriction_id: str
    worker_id: str
    platform_id: str
    lifted_by_role: str
    lifted_at: datetime


@event_type("contracts.rule_notice.published.v1", key="platform_id")
class RuleNoticePublished(DomainEvent):
    """A platform published a version of a rule or algorithm (M10)."""

    notice_id: str
    platform_id: str
    topic: RuleTopic
    version: int
    consulted: bool
    published_on: date
    effective_on: date


#: A rule was found broken in an accepted fact (contracts, restrictions, rule notices).
ContractsFindingRaised = finding_event("contracts")


def contract_event_types() -> list[str]:
    return registry.types("contracts")


def current_schemas() -> dict[str, dict]:
    return registry.json_schemas("contracts")


def write_event_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write one `<type>.json` per event type (run when adding a type or a new version)."""
    return events.write_event_schemas("contracts", directory)


if __name__ == "__main__":
    for p in write_event_schemas():
        print(p)
