"""What contracts reads of other services' events: the facts departments hold (verified.py), its own
contract events, so that a contract sent after a department's fact is checked against it too, and the
unions' collective contracts in force and ended (their piece rates bind contracts, 劳动合同法 art. 55)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from newform_common.consumed import ConsumedEvent, consumes


class _DepartmentFact(ConsumedEvent):
    fact_id: str
    department: str
    reference: str
    version: int
    observed_at: datetime


@consumes("departments.insurance_enrolment.recorded.v1")
class InsuranceEnrolmentRecorded(_DepartmentFact):
    worker_id: str
    insurance_type: str
    status: str
    start_date: date | None = None
    end_date: date | None = None


@consumes("departments.dispatch_licence.recorded.v1")
class DispatchLicenceRecorded(_DepartmentFact):
    licence_number: str
    holder_credit_code: str
    valid_from: date
    valid_until: date
    revoked_on: date | None = None
    effective_until: date


@consumes("departments.enterprise_record.recorded.v1")
class EnterpriseRecordRecorded(_DepartmentFact):
    credit_code: str
    registration_status: str
    qualified: bool
    valid_from: date | None = None
    valid_until: date | None = None


@consumes("departments.weather_warning.issued.v1")
class WeatherWarningIssued(_DepartmentFact):
    """A bad-weather warning as emergency now states it (M8): the response clocks wait on it."""

    district: str
    level: str
    hazard: str
    starts_at: datetime
    ends_at: datetime | None = None
    cancelled_at: datetime | None = None
    source: str


@consumes("contracts.contract.sent.v1")
class ContractSent(ConsumedEvent):
    contract_id: str


class PieceRateTerm(BaseModel):
    occupation: str
    order_type: str
    min_rate_fen: int


class CollectiveTerms(BaseModel):
    """The agreed standards contracts judges a contract's terms against (piece rates; the rest is not
    contracts' concern)."""

    piece_rates: list[PieceRateTerm] = []


@consumes("unions.collective_contract.in_force.v1")
class CollectiveContractInForce(ConsumedEvent):
    collective_contract_id: str
    union_id: str
    kind: str
    platform_ids: list[str]
    districts: list[str] = []
    occupations: list[str] = []
    effective_from: date
    effective_until: date | None = None
    in_force_on: date
    terms: CollectiveTerms


@consumes("unions.collective_contract.ended.v1")
class CollectiveContractEnded(ConsumedEvent):
    collective_contract_id: str
    ended_on: date
    reason: str
