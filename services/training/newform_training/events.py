"""The events training publishes on `training.events` (committed schemas in event_schemas/).

Regenerate the committed schemas after adding a type or a version: `python -m newform_training.events`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from newform_common.events import DomainEvent, event_type, write_event_schemas
from newform_common.findings import finding_event
from newform_common.schedules import deadline_recomputed_event

#: A rule was found broken in a fact this service accepted.
FindingRaised = finding_event("training")
DeadlineRecomputed = deadline_recomputed_event("training")  # a clock recomputed when a holiday schedule loads

SCHEMA_DIR = Path(__file__).parent / "event_schemas"


@event_type("training.enrolment.created.v1", key="worker_id")
class EnrolmentCreated(DomainEvent):
    """A worker was enrolled in a course (by themselves or by their enterprise)."""

    enrolment_id: str
    course_id: str
    worker_id: str
    provider_id: str
    occupation: str
    level: int
    district: str
    enrolled_by: str
    platform_id: str | None = None
    at: datetime


@event_type("training.certificate.issued.v1", key="worker_id")
class CertificateIssued(DomainEvent):
    """A recognised body issued a skill-level certificate."""

    certificate_number: str
    worker_id: str
    body_id: str
    occupation: str
    level: int
    issued_on: date
    provider_id: str | None = None


class _ClaimFacts(DomainEvent):
    claim_id: str
    certificate_number: str
    worker_id: str
    channel: str
    payee: str
    provider_id: str | None = None
    platform_id: str | None = None
    occupation: str
    level: int
    district: str
    amount_fen: int
    status: str
    at: datetime


@event_type("training.claim.submitted.v1", key="worker_id")
class ClaimSubmitted(_ClaimFacts):
    """A subsidy claim passed the M13 checks and awaits hrss's review."""

    #: Which ground made the training place eligible and on whose word (see ClaimPublic.place_basis).
    place_basis: dict[str, Any] | None = None


@event_type("training.claim.approved.v1", key="worker_id")
class ClaimApproved(_ClaimFacts):
    """hrss approved a claim; the district's budget is drawn down (status `queued` if it is exhausted)."""


@event_type("training.claim.rejected.v1", key="worker_id")
class ClaimRejected(_ClaimFacts):
    """A claim was refused: by hrss on review, or at submission (`status` refused) as a duplicate."""

    reason: str
    rule: str | None = None


@event_type("training.claim.paid.v1", key="worker_id")
class ClaimPaid(_ClaimFacts):
    """The subsidy was paid to its payee."""

    payment_reference: str


if __name__ == "__main__":
    for path in write_event_schemas("training", SCHEMA_DIR):
        print(path)
