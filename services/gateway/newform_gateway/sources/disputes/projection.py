"""disputes.* events into complaints, cases and clocks run out — set-based: one statement per table
per polled batch, the batch's events folded in order first (a complaint filed and answered in one
batch is one row)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.consumed import consumes

from ...projections.base import Context, EventData, Projection, Typed
from . import repository
from .models import CLOSED_STAGES

COMPLAINT_REPLY_CLOCK = "disputes.complaint_reply"


# -- the gateway's reading of disputes' v1 events (services/disputes/newform_disputes/events.py) -----
class _Complaint(EventData):
    complaint_id: str
    platform_id: str
    category: str
    occupation: str | None = None
    district: str | None = None


@consumes("disputes.complaint.filed.v1")
class ComplaintFiled(_Complaint):
    filed_at: AwareDatetime
    reply_due_on: date


@consumes("disputes.complaint.answered.v1")
class ComplaintAnswered(_Complaint):
    filed_at: AwareDatetime
    answered_at: AwareDatetime
    on_time: bool


@consumes("disputes.complaint.resolved.v1")
class ComplaintResolved(_Complaint):
    resolution: str
    escalation_measure: str | None = None
    filed_at: AwareDatetime
    resolved_at: AwareDatetime


@consumes("disputes.case.stage_changed.v1")
class CaseStageChanged(EventData):
    """v1 (deprecated) and v2 (below) carry the same fields; v2 knows more stages. A move both can say
    arrives twice, in order on one partition: the case row is state (stage, its time), so the second
    changes nothing."""

    case_id: str
    platform_id: str
    category: str
    occupation: str | None
    district: str | None
    track: str
    stage: str
    previous_stage: str | None
    reason: str
    claims_total_fen: int
    received_at: AwareDatetime
    at: AwareDatetime


@consumes("disputes.case.stage_changed.v2")
class CaseStageChangedV2(CaseStageChanged):
    pass


@consumes("disputes.clock.expired.v1")
class ClockExpired(EventData):
    kind: str
    subject_id: str
    platform_id: str
    due_at: AwareDatetime
    finding_id: str | None = None


@consumes("disputes.legal_aid.requested.v1")
class LegalAidRequested(EventData):
    case_id: str
    platform_id: str
    category: str
    district: str | None
    requested_at: AwareDatetime


COMPLAINT_COLUMNS = (
    "complaint_id",
    "platform_id",
    "category",
    "occupation",
    "district",
    "status",
    "filed_at",
    "answered_at",
    "answered_on_time",
    "reply_overdue",
    "resolution",
    "escalation_measure",
    "resolved_at",
)


def _complaint_row(rows: dict[str, dict[str, Any]], d: _Complaint, filed_at) -> dict[str, Any]:
    row = rows.get(d.complaint_id)
    if row is None:
        row = rows[d.complaint_id] = dict.fromkeys(COMPLAINT_COLUMNS)
    row.update(complaint_id=d.complaint_id, platform_id=d.platform_id, category=d.category, filed_at=filed_at)
    row["occupation"] = d.occupation or row["occupation"]
    row["district"] = d.district or row["district"]
    return row


def _case_moved(cases: dict[str, dict[str, Any]], d: CaseStageChanged) -> None:
    row = cases.setdefault(d.case_id, {"mediation_outcome": None, "closed_at": None})
    row.update(
        case_id=d.case_id,
        platform_id=d.platform_id,
        category=d.category,
        occupation=d.occupation,
        district=d.district,
        track=d.track,
        stage=d.stage,
        claims_total_fen=d.claims_total_fen,
        received_at=d.received_at,
        stage_at=d.at,
    )
    if d.previous_stage in ("received", "mediating") and d.stage in ("agreement", "no_agreement", "withdrawn"):
        row["mediation_outcome"] = d.stage
    if d.stage in CLOSED_STAGES:
        row["closed_at"] = d.at


async def apply(session: AsyncSession, events: list[Typed[Any]], ctx: Context) -> None:
    complaints: dict[str, dict[str, Any]] = {}
    cases: dict[str, dict[str, Any]] = {}
    expiries: list[dict[str, Any]] = []
    overdue_replies: dict[str, dict[str, Any]] = {}
    legal_aid: list[dict[str, Any]] = []
    for t in events:
        d = t.data
        if isinstance(d, ComplaintFiled):
            _complaint_row(complaints, d, d.filed_at)["status"] = "awaiting_reply"
        elif isinstance(d, ComplaintAnswered):
            row = _complaint_row(complaints, d, d.filed_at)
            row.update(status="answered", answered_at=d.answered_at, answered_on_time=d.on_time)
        elif isinstance(d, ComplaintResolved):
            row = _complaint_row(complaints, d, d.filed_at)
            row.update(
                status="resolved",
                resolution=d.resolution,
                escalation_measure=d.escalation_measure,
                resolved_at=d.resolved_at,
            )
        elif isinstance(d, CaseStageChanged):
            _case_moved(cases, d)
        elif isinstance(d, LegalAidRequested):
            legal_aid.append(
                dict(
                    case_id=d.case_id,
                    platform_id=d.platform_id,
                    category=d.category,
                    district=d.district,
                    requested_at=d.requested_at,
                )
            )
        elif isinstance(d, ClockExpired):
            expiries.append(
                dict(
                    kind=d.kind,
                    subject_id=d.subject_id,
                    platform_id=d.platform_id,
                    due_at=d.due_at,
                    finding_id=d.finding_id,
                )
            )
            if d.kind == COMPLAINT_REPLY_CLOCK:
                if d.subject_id in complaints:
                    complaints[d.subject_id]["reply_overdue"] = True
                else:  # filed in an earlier batch, or not yet here (clocks are keyed by subject, not platform)
                    overdue_replies[d.subject_id] = dict(
                        complaint_id=d.subject_id,
                        platform_id=d.platform_id,
                        category="unknown",
                        status="awaiting_reply",
                        filed_at=d.due_at,
                        reply_overdue=True,
                    )
    await repository.write_batch(
        session, list(complaints.values()), list(cases.values()), expiries, legal_aid, list(overdue_replies.values())
    )


PROJECTION = Projection(
    "disputes",
    (
        ComplaintFiled,
        ComplaintAnswered,
        ComplaintResolved,
        CaseStageChanged,
        CaseStageChangedV2,
        ClockExpired,
        LegalAidRequested,
    ),
    apply,
)

#: Read-model tables and the columns that are the projection's own (the rebuild's comparison).
READ_MODELS: dict[str, tuple[str, ...]] = {
    "dispute_complaints": (),
    "dispute_cases": (),
    "dispute_clock_expiries": (),
    "dispute_legal_aid": (),
}
