"""The events disputes publishes on `disputes.events` (committed schemas in event_schemas/).

Every complaint and case event carries the figures the gateway projects (platform, category,
occupation as the sector, district, stage) so a projection needs no other source. Workers appear
only by their pseudonymous id.

Regenerate the committed schemas after adding a type or a version:
`python -m newform_disputes.events`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field

from newform_common.events import DomainEvent, event_type, write_event_schemas
from newform_common.findings import finding_event
from newform_common.schedules import deadline_recomputed_event

#: A rule was found broken in a fact this service accepted.
FindingRaised = finding_event("disputes")
DeadlineRecomputed = deadline_recomputed_event("disputes")  # a clock recomputed when a holiday schedule loads

SCHEMA_DIR = Path(__file__).parent / "event_schemas"

Resolution = Literal["accepted", "mediation", "department"]
Stage = Literal[
    "received",
    "mediating",
    "agreement",
    "fulfilled",
    "no_agreement",
    "withdrawn",
    "arbitration_requested",
    "arbitration_refused",
    "arbitration_accepted",
    "awarded",
    "settled",
    "court_referred",
    "judged",
]
#: The stages v1 of the stage event was published with: its consumers may rely on no other value.
StageV1 = Literal[
    "received",
    "mediating",
    "agreement",
    "fulfilled",
    "no_agreement",
    "withdrawn",
    "arbitration_requested",
    "arbitration_accepted",
    "awarded",
    "court_referred",
]
STAGES_V1 = frozenset(StageV1.__args__)
#: v1 is published beside v2 until then (README "Deprecation policy": six months at least).
STAGE_CHANGED_V1_SUNSET = "2027-06-30"


class _ComplaintEvent(DomainEvent):
    complaint_id: str
    platform_id: str
    category: str
    occupation: str | None = Field(None, description="The worker's occupation: the sector")
    district: str | None = None


@event_type("disputes.complaint.filed.v1", key="platform_id")
class ComplaintFiled(_ComplaintEvent):
    """A worker filed a complaint against a platform or a related unit (M10, M20)."""

    enterprise_id: str | None
    filed_at: datetime
    reply_due_on: date


@event_type("disputes.complaint.answered.v1", key="platform_id")
class ComplaintAnswered(_ComplaintEvent):
    """The platform answered a complaint."""

    filed_at: datetime
    answered_at: datetime
    on_time: bool


@event_type("disputes.complaint.resolved.v1", key="platform_id")
class ComplaintResolved(_ComplaintEvent):
    """The worker accepted the answer, or escalated: to mediation, or to a department as a clue."""

    resolution: Resolution
    escalation_measure: str | None = Field(None, description="Measure of the enforcement clue (department)")
    case_id: str | None = Field(None, description="The mediation case opened (mediation)")
    filed_at: datetime
    resolved_at: datetime


class _StageChange(DomainEvent):
    case_id: str
    platform_id: str
    category: str
    occupation: str | None
    district: str | None
    track: Literal["labour_arbitration", "people_mediation_court"]
    stage: Stage
    previous_stage: Stage | None
    reason: str = Field(
        description="opened | accepted | agreement | no_agreement | mediation_limit_passed | "
        "withdrawal | applied | applied_without_mediation | refused | awarded | ..."
    )
    claims_total_fen: int
    received_at: datetime
    at: datetime


@event_type("disputes.case.stage_changed.v2", key="case_id")
class CaseStageChanged(_StageChange):
    """A dispute moved to a stage (opened as `received`); `reason` says why. v2 adds the stages the law
    needs: the committee's refusal (arbitration_refused, 劳动争议调解仲裁法 art. 29) and outcomes recorded by
    the departments (settled, judged)."""


@event_type("disputes.case.stage_changed.v1", key="case_id")
class CaseStageChangedV1(_StageChange):
    """Deprecated (sunset 2027-06-30; successor disputes.case.stage_changed.v2): published beside v2 for a
    move between stages v1 knows; a move to or from a stage only v2 knows is published as v2 alone."""

    stage: StageV1
    previous_stage: StageV1 | None


@event_type("disputes.clock.expired.v1", key="subject_id")
class ClockExpired(DomainEvent):
    """A legal clock ran out (the reply time, the mediation limit, a fulfilment date, an arbitration limit)."""

    kind: str
    subject_id: str
    platform_id: str
    worker_id: str
    due_at: datetime
    finding_id: str | None = Field(None, description="The finding raised, when running out breaks a rule")


@event_type("disputes.legal_aid.requested.v1", key="case_id")
class LegalAidRequested(DomainEvent):
    """A worker asked for legal aid (referred to the justice bureau's legal aid centre, M18)."""

    case_id: str
    worker_id: str
    platform_id: str
    category: str
    district: str | None
    department: str = "justice"
    requested_at: datetime


if __name__ == "__main__":
    for path in write_event_schemas("disputes", SCHEMA_DIR):
        print(path)
