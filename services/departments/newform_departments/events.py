"""The events departments publishes on `departments.events` (committed schemas in event_schemas/).

One type per kind of fact, published when a department states a fact for the first time or changes
it (`version` counts the statements; the same statement again publishes nothing). Workers appear
by pseudonymous id only. The key is the subject (worker id, else credit code, else the reference)
so that one subject's facts stay in order.

Regenerate the committed schemas after adding a type or a version:
`python -m newform_departments.events`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from newform_common.events import DomainEvent, event_type, write_event_schemas
from newform_common.findings import finding_event
from newform_common.schedules import deadline_recomputed_event

#: A rule was found broken in a fact this service accepted.
FindingRaised = finding_event("departments")
DeadlineRecomputed = deadline_recomputed_event("departments")  # a clock recomputed when a holiday schedule loads

SCHEMA_DIR = Path(__file__).parent / "event_schemas"


class _Fact(DomainEvent):
    fact_id: str
    subject_key: str
    department: str
    reference: str
    version: int
    observed_at: datetime
    recorded_at: datetime


@event_type("departments.insurance_enrolment.recorded.v1", key="subject_key")
class InsuranceEnrolmentRecorded(_Fact):
    """hrss or medins stated whether a worker is enrolled in a kind of social insurance."""

    worker_id: str
    insurance_type: str
    status: str  # enrolled | not_enrolled
    employer_credit_code: str | None = None
    start_date: date | None = None
    end_date: date | None = None


@event_type("departments.dispatch_licence.recorded.v1", key="subject_key")
class DispatchLicenceRecorded(_Fact):
    """hrss stated a labour-dispatch licence: its holder, validity and any revocation."""

    licence_number: str
    holder_credit_code: str
    holder_name: str
    valid_from: date
    valid_until: date
    revoked_on: date | None = None
    revocation_reason: str | None = None
    #: The last day the licence is valid (expiry, or the day before revocation).
    effective_until: date


@event_type("departments.enterprise_record.recorded.v1", key="subject_key")
class EnterpriseRecordRecorded(_Fact):
    """market stated an enterprise's registration status and qualification."""

    credit_code: str
    name: str
    registration_status: str
    qualified: bool
    qualification: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


@event_type("departments.inspection_result.recorded.v1", key="subject_key")
class InspectionResultRecorded(_Fact):
    """hrss labour inspection confirmed arrears or overtime at an employer."""

    employer_credit_code: str
    matter: str
    worker_id: str | None = None
    confirmed_amount_fen: int
    confirmed_overtime_hours: int
    inspected_on: date
    ordered_to_pay_by: date | None = None
    #: The order to pay was ignored (逾期未支付), the arrears caused a mass incident, and their extent:
    #: the wage-arrears list's conditions (人力资源社会保障部令第45号 art. 5), read by the gateway.
    order_ignored: bool = False
    mass_incident: bool = False
    months_unpaid: int | None = None
    workers_affected: int | None = None


@event_type("departments.case_outcome.recorded.v1", key="subject_key")
class CaseOutcomeRecorded(_Fact):
    """An arbitration commission (hrss) or a court decided a labour dispute."""

    forum: str
    dispute_id: str | None = None
    worker_id: str | None = None
    employer_credit_code: str | None = None
    outcome: str
    awarded_fen: int
    filed_on: date | None = None
    decided_on: date


@event_type("departments.household_registration.recorded.v1", key="subject_key")
class HouseholdRegistrationRecorded(_Fact):
    """Public security (police) stated where a person's household registration (户籍) is."""

    worker_id: str
    region_code: str
    registered_on: date | None = None
    moved_out_on: date | None = None


@event_type("departments.job_seeking_registration.recorded.v1", key="subject_key")
class JobSeekingRegistrationRecorded(_Fact):
    """hrss (the public employment service) stated a person's job-seeking registration in a district."""

    worker_id: str
    district: str
    registered_on: date
    ended_on: date | None = None


@event_type("departments.weather_warning.issued.v1", key="subject_key")
class WeatherWarningIssued(_Fact):
    """emergency recorded a bad-weather warning for a district (M8), or amended or lifted it: each statement
    is the warning as it now stands (`version` counts them; a consumer keeps the highest)."""

    district: str
    level: str  # blue | yellow | orange | red
    hazard: str  # snow | ice | rainstorm | high_wind | heat | sandstorm
    starts_at: datetime
    ends_at: datetime | None = None
    cancelled_at: datetime | None = None
    source: str


EVENTS_BY_KIND: dict[str, type[_Fact]] = {
    "insurance_enrolment": InsuranceEnrolmentRecorded,
    "dispatch_licence": DispatchLicenceRecorded,
    "enterprise_record": EnterpriseRecordRecorded,
    "inspection_result": InspectionResultRecorded,
    "case_outcome": CaseOutcomeRecorded,
    "household_registration": HouseholdRegistrationRecorded,
    "job_seeking_registration": JobSeekingRegistrationRecorded,
    "weather_warning": WeatherWarningIssued,
}

# The registry's and the notices' events live beside their aggregates; imported here so that every type
# this service publishes is registered (and its schema written) from this one module.
from .notices.events import NoticePublished  # noqa: E402
from .stations.events import (  # noqa: E402
    RestStationRegistered,
    RestStationReported,
    RestStationReportHandled,
    RestStationUpdated,
)

AGGREGATE_EVENTS = (
    RestStationRegistered,
    RestStationUpdated,
    RestStationReported,
    RestStationReportHandled,
    NoticePublished,
)

if __name__ == "__main__":
    for path in write_event_schemas("departments", SCHEMA_DIR):
        print(path)
