"""departments.* events into the department-facts read model — set-based: one statement per batch.

Each fact is one row, its latest statement (a redelivered or older version never overwrites a newer one).
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import consumes

from ...projections.base import Context, EventData, Projection, Typed
from . import repository

COMMON = {"fact_id", "subject_key", "department", "reference", "version", "observed_at", "recorded_at"}


# -- the gateway's reading of departments' v1 events (services/departments/newform_departments/events.py) --
class FactData(EventData):
    fact_id: str
    subject_key: str
    department: str
    reference: str
    version: int
    observed_at: AwareDatetime
    recorded_at: AwareDatetime


@consumes("departments.insurance_enrolment.recorded.v1")
class InsuranceEnrolmentRecorded(FactData):
    worker_id: str
    insurance_type: str
    status: str


@consumes("departments.dispatch_licence.recorded.v1")
class DispatchLicenceRecorded(FactData):
    licence_number: str
    holder_credit_code: str
    effective_until: str


@consumes("departments.enterprise_record.recorded.v1")
class EnterpriseRecordRecorded(FactData):
    credit_code: str
    registration_status: str
    qualified: bool


@consumes("departments.inspection_result.recorded.v1")
class InspectionResultRecorded(FactData):
    employer_credit_code: str
    matter: str
    confirmed_amount_fen: int
    # the wage-arrears list's conditions (credit.listing_condition reads them from the stored fields)
    ordered_to_pay_by: str | None = None
    order_ignored: bool = False
    mass_incident: bool = False
    months_unpaid: int | None = None
    workers_affected: int | None = None


@consumes("departments.case_outcome.recorded.v1")
class CaseOutcomeRecorded(FactData):
    forum: str
    outcome: str


KINDS = {
    InsuranceEnrolmentRecorded: "insurance_enrolment",
    DispatchLicenceRecorded: "dispatch_licence",
    EnterpriseRecordRecorded: "enterprise_record",
    InspectionResultRecorded: "inspection_result",
    CaseOutcomeRecorded: "case_outcome",
}


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    latest: dict[str, dict[str, Any]] = {}
    for t in events:
        d = t.data
        if d.fact_id in latest and latest[d.fact_id]["version"] >= d.version:
            continue
        latest[d.fact_id] = dict(
            fact_id=d.fact_id,
            kind=KINDS[type(d)],
            department=d.department,
            reference=d.reference,
            subject_key=d.subject_key,
            version=d.version,
            fields={k: v for k, v in t.envelope.data.items() if k not in COMMON},
            observed_at=d.observed_at,
            recorded_at=d.recorded_at,
        )
    # One fact's events share a key (its subject), so they arrive in order; a redelivery is the inbox's.
    await repository.write_facts(session, list(latest.values()))


PROJECTION = Projection(
    service="departments",
    model_list=tuple(KINDS),
    apply=apply,
)
