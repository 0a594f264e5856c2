"""The disputes service's tables, and the states of its complaints and cases beside them (the common
tables — outbox, inbox, idempotency keys, findings, deadlines — come from libs/common's migration
branch). Workers appear by pseudonymous id only.

One module for every aggregate: a case is one row through mediation, arbitration and the court, and
the roster's load is counted on it, so the tables are shared by the aggregate packages.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from newform_common.db import service_base
from newform_common.states import transitions

ServiceModel = service_base()


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _json(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSONB, nullable=nullable))


class Engagement(ServiceModel, table=True):
    """Our copy of a contract or agreement as contracts published it (contracts.events)."""

    __tablename__ = "engagements"

    contract_id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(index=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    enterprise_id: str = Field(max_length=64)
    engagement_type: str = Field(max_length=32)
    occupation: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=16)
    updated_at: datetime = _ts()


class ComplaintStatus(enum.StrEnum):
    """A complaint's status, as stored and published (M10, M20)."""

    awaiting_reply = "awaiting_reply"
    answered = "answered"
    resolved = "resolved"


#: A complaint is answered once, then accepted or escalated; it may be escalated unanswered.
COMPLAINT_ALLOWED: dict[ComplaintStatus, frozenset[ComplaintStatus]] = transitions(
    {
        ComplaintStatus.awaiting_reply: {ComplaintStatus.answered, ComplaintStatus.resolved},
        ComplaintStatus.answered: {ComplaintStatus.resolved},
        ComplaintStatus.resolved: set(),
    }
)


class Complaint(ServiceModel, table=True):
    """A worker's complaint against a platform or a related unit (M10, M20)."""

    __tablename__ = "complaints"

    id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(index=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    enterprise_id: str | None = Field(default=None, max_length=64)
    contract_id: str | None = Field(default=None, max_length=64)
    engagement_type: str | None = Field(default=None, max_length=32)
    occupation: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    category: str = Field(max_length=32)
    description: str
    attachments: list[str] = _json()
    identity_masked: bool = True
    status: str = Field(max_length=24, index=True)
    filed_at: datetime = _ts()
    reply_due_on: date
    reply_overdue: bool = False
    answer: str | None = None
    answered_at: datetime | None = _ts(nullable=True)
    resolution: str | None = Field(default=None, max_length=24)
    resolved_at: datetime | None = _ts(nullable=True)
    escalation_measure: str | None = Field(default=None, max_length=4)
    case_id: str | None = Field(default=None, max_length=64)


class Mediator(ServiceModel, table=True):
    """An invited mediator (特邀调解员) on the roster (M18): kept current, never deleted."""

    __tablename__ = "mediators"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    organisation: str = Field(max_length=200)
    source: str = Field(max_length=16)
    specialties: list[str] = _json()
    rosters: list[str] = _json()
    conflicts: list[str] = _json()
    term_from: date
    term_until: date
    active: bool = True
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CaseStage(enum.StrEnum):
    """A case's stage, as stored and published in `disputes.case.stage_changed` (v1 knows all but
    `arbitration_refused`, `settled`, `judged`: `events.STAGES_V1`)."""

    received = "received"
    mediating = "mediating"
    agreement = "agreement"
    fulfilled = "fulfilled"
    no_agreement = "no_agreement"
    withdrawn = "withdrawn"
    arbitration_requested = "arbitration_requested"
    arbitration_refused = "arbitration_refused"
    arbitration_accepted = "arbitration_accepted"
    awarded = "awarded"
    settled = "settled"
    court_referred = "court_referred"
    judged = "judged"


#: A mediation still open (a mediator may be assigned, the worker may withdraw).
OPEN_MEDIATION = frozenset({CaseStage.received, CaseStage.mediating})
#: How the departments' record of an award or a judgment ends a case, from whatever stage it was in
#: (`departments.case_outcome.recorded.v1`: the verified fact wins over our own record).
DECIDED = frozenset({CaseStage.awarded, CaseStage.settled, CaseStage.withdrawn, CaseStage.judged})
_LEAVE_MEDIATION = frozenset({CaseStage.arbitration_requested, CaseStage.court_referred})
_CASE_MOVES: dict[CaseStage, frozenset[CaseStage]] = {
    CaseStage.received: frozenset({CaseStage.mediating, CaseStage.withdrawn, *_LEAVE_MEDIATION}),
    CaseStage.mediating: frozenset(
        {CaseStage.agreement, CaseStage.no_agreement, CaseStage.withdrawn, *_LEAVE_MEDIATION}
    ),
    CaseStage.agreement: frozenset({CaseStage.fulfilled, *_LEAVE_MEDIATION}),
    CaseStage.fulfilled: frozenset(),
    CaseStage.no_agreement: _LEAVE_MEDIATION,
    CaseStage.withdrawn: _LEAVE_MEDIATION,
    CaseStage.arbitration_requested: frozenset(
        {CaseStage.arbitration_accepted, CaseStage.arbitration_refused, CaseStage.court_referred}
    ),
    CaseStage.arbitration_refused: frozenset({CaseStage.court_referred}),
    CaseStage.arbitration_accepted: frozenset({CaseStage.awarded, CaseStage.court_referred}),
    CaseStage.awarded: frozenset(),
    CaseStage.settled: frozenset(),
    CaseStage.court_referred: frozenset(),
    CaseStage.judged: frozenset(),
}
#: Mediation (M18), leaving it for arbitration or the court (arts. 5, 14, 15, 29, 43), and the
#: departments' recorded decision from any stage.
CASE_ALLOWED: dict[CaseStage, frozenset[CaseStage]] = transitions(
    {stage: moves | (DECIDED - {stage}) for stage, moves in _CASE_MOVES.items()}
)


class Case(ServiceModel, table=True):
    """A dispute: mediation first, then arbitration or the court (M18)."""

    __tablename__ = "cases"

    id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(index=True, max_length=64)
    platform_id: str = Field(index=True, max_length=64)
    enterprise_id: str | None = Field(default=None, max_length=64)
    contract_id: str | None = Field(default=None, max_length=64)
    complaint_id: str | None = Field(default=None, max_length=64)
    category: str = Field(max_length=32)
    occupation: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    engagement_type: str | None = Field(default=None, max_length=32)
    track: str = Field(max_length=32)
    description: str = ""
    claims: list[dict[str, Any]] = _json()
    claims_total_fen: int = 0
    facts: list[str] = _json()
    misclassification_question: bool = False
    stage: str = Field(max_length=32, index=True)
    received_at: datetime = _ts()  # when the case was entered here
    # The day the mediation body received the application (paper ones are entered later); None: the
    # worker went to arbitration without mediation.
    received_on: date | None = None
    mediation_body: str | None = Field(default=None, max_length=16)
    mediator_id: str | None = Field(default=None, index=True, max_length=64)
    mediator_needed_since: date | None = None
    accepted_on: date | None = None
    mediation_extension_days: int = 0
    outcome: str | None = Field(default=None, max_length=16)
    outcome_at: datetime | None = _ts(nullable=True)
    agreement_terms: str | None = None
    agreement_amount_fen: int | None = None
    fulfil_by: date | None = None
    fulfilled_on: date | None = None
    arbitration_received_on: date | None = None
    knew_of_breach_on: date | None = None
    limitation_ends_on: date | None = None
    limitation_expired: bool | None = None
    arbitration_refused_on: date | None = None
    arbitration_refusal_reason: str | None = None
    limitation_runs_from: date | None = None
    arbitration_accepted_on: date | None = None
    award_extension_days: int = 0
    suspended: bool = False
    awarded_on: date | None = None
    award_amount_fen: int | None = None
    award_final: bool | None = None
    award_items: list[dict[str, Any]] | None = _json(nullable=True)
    # An award or a judgment the departments recorded (departments.case_outcome.recorded.v1).
    decision_forum: str | None = Field(default=None, max_length=16)
    decision_outcome: str | None = Field(default=None, max_length=16)
    decision_reference: str | None = Field(default=None, max_length=200)
    decision_version: int | None = None
    decided_on: date | None = None
    decision_amount_fen: int | None = None
    legal_aid_requested_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)


class MediationSession(ServiceModel, table=True):
    __tablename__ = "mediation_sessions"

    id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    mediator_id: str = Field(max_length=64)
    held_on: date
    summary: str
    recorded_at: datetime = _ts()
