"""What contracts reads of other services' events: the facts departments hold (verified.py), and its own
contract events, so that a contract sent after a department's fact is checked against it too."""

from __future__ import annotations

from datetime import date, datetime

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


@consumes("contracts.contract.sent.v1")
class ContractSent(ConsumedEvent):
    contract_id: str
