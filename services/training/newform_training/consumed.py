"""What training reads of other services' events: where a registered worker lives (contracts), and the
verified facts on household registration and job seeking (departments) — M13's training places."""

from __future__ import annotations

from datetime import date, datetime

from newform_common.consumed import ConsumedEvent, consumes


@consumes("contracts.worker.registered.v1")
class WorkerRegistered(ConsumedEvent):
    worker_id: str
    platform_id: str
    residence_district: str
    household_registration_region: str


class _DepartmentFact(ConsumedEvent):
    fact_id: str
    department: str
    reference: str
    version: int
    observed_at: datetime
    worker_id: str


@consumes("departments.household_registration.recorded.v1")
class HouseholdRegistrationRecorded(_DepartmentFact):
    region_code: str
    registered_on: date | None = None
    moved_out_on: date | None = None


@consumes("departments.job_seeking_registration.recorded.v1")
class JobSeekingRegistrationRecorded(_DepartmentFact):
    district: str
    registered_on: date
    ended_on: date | None = None
