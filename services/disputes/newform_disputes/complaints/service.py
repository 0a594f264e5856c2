"""The complaints' use cases (M10, M20): rules + state change + outbox record + clocks, in the
request's transaction (never commits); and the complaint as its reader sees it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.auth import Principal, Role
from newform_common.deadlines import Deadline
from newform_common.errors import Conflict
from newform_common.findings import FindingRef, raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date
from newform_common.states import require_transition

from .. import clocks, timers
from ..cases import lifecycle
from ..engagements.service import parties
from ..events import ComplaintAnswered, ComplaintFiled, ComplaintResolved
from ..models import COMPLAINT_ALLOWED, Complaint, ComplaintStatus
from ..repository import clocks_and_findings
from ..schemas import ClockPublic
from ..shared import clock_expired, now
from . import repository, rules
from .schemas import ComplaintCreate, ComplaintPublic, Escalation


def _set_status(complaint: Complaint, to: ComplaintStatus) -> None:
    """The one place a complaint changes status (`COMPLAINT_ALLOWED`)."""
    require_transition(COMPLAINT_ALLOWED, complaint.status, to, "complaint")
    complaint.status = to


async def file_complaint(session: AsyncSession, worker_id: str, body: ComplaintCreate) -> Complaint:
    found = await parties(session, worker_id, body)
    at = now()
    filed_on = business_date(at)
    period = clocks.reply_period(filed_on)
    due_on = period.last_day
    complaint = Complaint(
        id=new_id("cmp"),
        worker_id=worker_id,
        category=body.category,
        description=body.description,
        attachments=list(body.attachments),
        identity_masked=rules.identity_masked(body.category, body.mask_identity, filed_on),
        status=ComplaintStatus.awaiting_reply,
        filed_at=at,
        reply_due_on=due_on,
        **found,
    )
    session.add(complaint)
    await timers.start(
        session, clocks.COMPLAINT_REPLY, complaint.id, period, data={"platform_id": complaint.platform_id}, at=at
    )
    record(
        session,
        ComplaintFiled(
            complaint_id=complaint.id,
            platform_id=complaint.platform_id,
            category=complaint.category,
            occupation=complaint.occupation,
            district=complaint.district,
            enterprise_id=complaint.enterprise_id,
            filed_at=at,
            reply_due_on=due_on,
        ),
    )
    return complaint


async def answer_complaint(session: AsyncSession, complaint: Complaint, answer: str) -> Complaint:
    if complaint.status != ComplaintStatus.awaiting_reply:
        raise Conflict(
            f"The complaint is {complaint.status}; it takes no answer now", slug="complaint-not-awaiting-reply"
        )
    at = now()
    _set_status(complaint, ComplaintStatus.answered)
    complaint.answer, complaint.answered_at = answer, at
    await deadlines.cancel(session, clocks.COMPLAINT_REPLY, complaint.id)
    record(
        session,
        ComplaintAnswered(
            complaint_id=complaint.id,
            platform_id=complaint.platform_id,
            category=complaint.category,
            occupation=complaint.occupation,
            district=complaint.district,
            filed_at=complaint.filed_at,
            answered_at=at,
            on_time=business_date(at) <= complaint.reply_due_on,
        ),
    )
    return complaint


def _resolved(complaint: Complaint, resolution: str, at: datetime, **extra: Any) -> ComplaintResolved:
    return ComplaintResolved(
        complaint_id=complaint.id,
        platform_id=complaint.platform_id,
        category=complaint.category,
        occupation=complaint.occupation,
        district=complaint.district,
        resolution=resolution,
        filed_at=complaint.filed_at,
        resolved_at=at,
        **extra,
    )


async def accept_answer(session: AsyncSession, complaint: Complaint) -> Complaint:
    if complaint.status != ComplaintStatus.answered:
        raise Conflict("Only an answered complaint can be accepted", slug="complaint-not-answered")
    at = now()
    _set_status(complaint, ComplaintStatus.resolved)
    complaint.resolution, complaint.resolved_at = "accepted", at
    record(session, _resolved(complaint, "accepted", at))
    return complaint


async def escalate(session: AsyncSession, complaint: Complaint, body: Escalation) -> tuple[Complaint, list[FindingRef]]:
    """To mediation (a case is opened) or to the responsible departments (an enforcement clue, a
    finding the gateway routes by measure, sector and district)."""
    if complaint.status == ComplaintStatus.resolved:
        raise Conflict("The complaint is already resolved", slug="complaint-resolved")
    at = now()
    found: list[FindingRef] = []
    if body.to == "mediation":
        case = await lifecycle.new_case(
            session,
            complaint.worker_id,
            at,
            category=complaint.category,
            description=complaint.description,
            claims=body.claims,
            facts=body.facts,
            received_on=business_date(at),
            complaint_id=complaint.id,
            platform_id=complaint.platform_id,
            enterprise_id=complaint.enterprise_id,
            contract_id=complaint.contract_id,
            engagement_type=complaint.engagement_type,
            occupation=complaint.occupation,
            district=complaint.district,
        )
        complaint.case_id = case.id
        found = await lifecycle.raise_misclassification(session, case)
        event = _resolved(complaint, "mediation", at, case_id=case.id)
    else:
        spec = rules.complaint_escalated(
            complaint.category,
            business_date(at),
            reply_overdue=complaint.reply_overdue,
            answered=complaint.answered_at is not None,
        )
        found = [
            await raise_finding(
                session,
                spec,
                subject_type="complaint",
                subject_id=complaint.id,
                platform_id=complaint.platform_id,
                enterprise_id=complaint.enterprise_id,
                worker_id=None if complaint.identity_masked else complaint.worker_id,
                occupation=complaint.occupation,
                district=complaint.district,
                observed_at=at,
            )
        ]
        complaint.escalation_measure = spec.measure
        event = _resolved(complaint, "department", at, escalation_measure=spec.measure)
    _set_status(complaint, ComplaintStatus.resolved)
    complaint.resolution, complaint.resolved_at = body.to, at
    await deadlines.cancel(session, clocks.COMPLAINT_REPLY, complaint.id)
    record(session, event)
    return complaint, found


async def on_reply_overdue(session: AsyncSession, deadline: Deadline) -> None:
    """The reply time ran out unanswered: M10's finding about the platform (masked as filed)."""
    complaint = await repository.lock_complaint(session, deadline.subject_id)
    if complaint is None or complaint.status != ComplaintStatus.awaiting_reply:
        return
    complaint.reply_overdue = True
    finding = await raise_finding(
        session,
        rules.reply_overdue(complaint.category, complaint.reply_due_on),
        subject_type="complaint",
        subject_id=complaint.id,
        platform_id=complaint.platform_id,
        enterprise_id=complaint.enterprise_id,
        worker_id=None if complaint.identity_masked else complaint.worker_id,
        occupation=complaint.occupation,
        district=complaint.district,
        observed_at=deadline.due_at,
    )
    record(session, clock_expired(deadline, complaint.platform_id, complaint.worker_id, finding))


async def complaint_views(
    session: AsyncSession, complaints: list[Complaint], principal: Principal, *, now: datetime | None = None
) -> list[ComplaintPublic]:
    clocks_of, found = await clocks_and_findings(session, [c.id for c in complaints])
    views = []
    for complaint in complaints:
        view = ComplaintPublic.model_validate(complaint)
        view.clocks = [ClockPublic.of(d, now) for d in clocks_of[complaint.id]]
        view.findings = found[complaint.id]
        if complaint.identity_masked and principal.role in (Role.platform, Role.enterprise):
            view.worker_id = None  # retaliation protection (M10)
        views.append(view)
    return views


async def complaint_view(session: AsyncSession, complaint: Complaint, principal: Principal) -> ComplaintPublic:
    return (await complaint_views(session, [complaint], principal))[0]
