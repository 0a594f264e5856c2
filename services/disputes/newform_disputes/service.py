"""Use cases: rules + state change + outbox record + clocks, in the request's transaction (never commits).

Every check runs before the first write, and a request that fails anyway is rolled back whole by
the request's session: nothing is half-stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.auth import Principal, Role
from newform_common.deadlines import Deadline, DeadlineHandler, end_of_business_day
from newform_common.errors import Conflict, Forbidden, NotFound, PolicyViolation, Unprocessable
from newform_common.events import Envelope
from newform_common.findings import FindingRef, Violation, raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date, get_policy
from newform_common.scope import visibility

from . import clocks, rules
from .consumed import ENGAGEMENT_EVENTS, ContractDrafted
from .events import (
    CaseStageChanged,
    ClockExpired,
    ComplaintAnswered,
    ComplaintFiled,
    ComplaintResolved,
    LegalAidRequested,
)
from .models import Case, Complaint, Engagement, MediationSession, Mediator
from .schemas import (
    Acceptance,
    ArbitrationApplication,
    ArbitrationRestart,
    Assignment,
    Award,
    CaseCreate,
    ComplaintCreate,
    Escalation,
    MediationExtension,
    MediatorCreate,
    MediatorUpdate,
    Outcome,
    SessionCreate,
)

#: Departments whose mediation organisations accept cases, keep the roster and assign mediators:
#: the court (特邀调解), HRSS (labour mediation and arbitration), the union, justice (people's mediation).
MEDIATION_BODIES = ("court", "hrss", "union", "justice")
#: The labour arbitration committee sits with HRSS.
ARBITRATION_BODIES = ("hrss",)

OPEN_MEDIATION = ("received", "mediating")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return business_date(now())


def _reject(violation: Violation | None) -> None:
    if violation is not None:
        raise PolicyViolation(violation.detail, measure=violation.measure, rule=violation.rule)


def _not_in_future(day: date, what: str) -> None:
    if day > today():
        raise Unprocessable(f"{what} ({day.isoformat()}) is in the future", slug="date-in-future")


def require_body(principal: Principal, bodies: Sequence[str]) -> None:
    """Admins, or a department token of one of `bodies`."""
    if principal.role == Role.admin:
        return
    if principal.role == Role.department and principal.department in bodies:
        return
    raise Forbidden(f"Only {', '.join(bodies)} or an administrator may do this")


# ---------------------------------------------------------------------------------------------
# Engagements: our copy of contracts' (consumer, one upsert per polled batch)
# ---------------------------------------------------------------------------------------------
async def copy_engagements(session: AsyncSession, envelopes: list[Envelope]) -> None:
    rows: dict[str, dict[str, Any]] = {}
    for envelope in envelopes:
        known = ENGAGEMENT_EVENTS.get(envelope.type)
        if known is None:
            continue
        model, status = known
        event = model.of(envelope)
        row = rows.setdefault(event.contract_id, {"contract_id": event.contract_id, "occupation": None,
                                                  "district": None})
        row.update(worker_id=event.worker_id, platform_id=event.platform_id, enterprise_id=event.enterprise_id,
                   engagement_type=event.engagement_type, status=status,
                   updated_at=getattr(event, "at", None) or event.drafted_at)
        if isinstance(event, ContractDrafted):
            row.update(occupation=event.occupation, district=event.district)
    if not rows:
        return
    statement = insert(Engagement).values(list(rows.values()))
    excluded = statement.excluded
    await session.execute(statement.on_conflict_do_update(
        index_elements=[Engagement.contract_id],
        set_={"worker_id": excluded.worker_id, "platform_id": excluded.platform_id,
              "enterprise_id": excluded.enterprise_id, "engagement_type": excluded.engagement_type,
              "status": excluded.status, "updated_at": excluded.updated_at,
              "occupation": func.coalesce(excluded.occupation, Engagement.occupation),
              "district": func.coalesce(excluded.district, Engagement.district)}))


async def _own_engagement(session: AsyncSession, worker_id: str, contract_id: str) -> Engagement:
    """The worker's own engagement; someone else's is not found (its existence does not leak)."""
    engagement = await session.get(Engagement, contract_id)
    if engagement is None or engagement.worker_id != worker_id:
        raise NotFound(f"No engagement {contract_id!r} of yours")
    return engagement


def _check_vocabulary(on: date, *, category: str, occupation: str | None, district: str | None) -> None:
    if category not in rules.categories(on):
        raise Unprocessable(f"Unknown complaint category {category!r}", slug="unknown-category")
    policy = get_policy()
    if occupation is not None and occupation not in policy.occupations(on):
        raise Unprocessable(f"Unknown occupation {occupation!r}", slug="unknown-occupation")
    if district is not None and district not in policy.districts(on):
        raise Unprocessable(f"Unknown district {district!r}", slug="unknown-district")


async def _parties(session: AsyncSession, worker_id: str, body: ComplaintCreate | CaseCreate) -> dict[str, Any]:
    """Platform, unit, engagement, sector and district of a complaint or case."""
    on = today()
    _check_vocabulary(on, category=body.category, occupation=body.occupation, district=body.district)
    if body.contract_id is not None:
        engagement = await _own_engagement(session, worker_id, body.contract_id)
        if body.platform_id is not None and body.platform_id != engagement.platform_id:
            raise Unprocessable("The engagement is with another platform", slug="platform-mismatch")
        return {"platform_id": engagement.platform_id, "enterprise_id": body.enterprise_id or engagement.enterprise_id,
                "contract_id": engagement.contract_id, "engagement_type": engagement.engagement_type,
                "occupation": engagement.occupation or body.occupation,
                "district": engagement.district or body.district}
    if body.platform_id is None:
        raise Unprocessable("Name the platform complained against, or the engagement", slug="no-respondent")
    return {"platform_id": body.platform_id, "enterprise_id": body.enterprise_id, "contract_id": None,
            "engagement_type": None, "occupation": body.occupation, "district": body.district}


# ---------------------------------------------------------------------------------------------
# Complaints (M10, M20)
# ---------------------------------------------------------------------------------------------
async def file_complaint(session: AsyncSession, worker_id: str, body: ComplaintCreate) -> Complaint:
    parties = await _parties(session, worker_id, body)
    at = now()
    filed_on = business_date(at)
    due_on = clocks.reply_due(filed_on)
    complaint = Complaint(id=new_id("cmp"), worker_id=worker_id, category=body.category, description=body.description,
                          attachments=list(body.attachments),
                          identity_masked=rules.identity_masked(body.category, body.mask_identity, filed_on),
                          status="awaiting_reply", filed_at=at, reply_due_on=due_on, **parties)
    session.add(complaint)
    await deadlines.schedule(session, clocks.COMPLAINT_REPLY, complaint.id, end_of_business_day(due_on),
                             data={"platform_id": complaint.platform_id}, now=at)
    record(session, ComplaintFiled(complaint_id=complaint.id, platform_id=complaint.platform_id,
                                   category=complaint.category, occupation=complaint.occupation,
                                   district=complaint.district, enterprise_id=complaint.enterprise_id,
                                   filed_at=at, reply_due_on=due_on))
    return complaint


async def visible_complaint(session: AsyncSession, complaint_id: str, principal: Principal, *,
                            for_update: bool = False) -> Complaint:
    complaint = await session.get(Complaint, complaint_id, with_for_update=for_update or None)
    if complaint is None or not visibility(principal).allows(platform_id=complaint.platform_id,
                                                             worker_id=complaint.worker_id):
        raise NotFound(f"No complaint {complaint_id!r}")
    return complaint


async def answer_complaint(session: AsyncSession, complaint: Complaint, answer: str) -> Complaint:
    if complaint.status != "awaiting_reply":
        raise Conflict(f"The complaint is {complaint.status}; it takes no answer now",
                       slug="complaint-not-awaiting-reply")
    at = now()
    complaint.status, complaint.answer, complaint.answered_at = "answered", answer, at
    await deadlines.cancel(session, clocks.COMPLAINT_REPLY, complaint.id)
    record(session, ComplaintAnswered(complaint_id=complaint.id, platform_id=complaint.platform_id,
                                      category=complaint.category, occupation=complaint.occupation,
                                      district=complaint.district, filed_at=complaint.filed_at, answered_at=at,
                                      on_time=business_date(at) <= complaint.reply_due_on))
    return complaint


def _resolved(complaint: Complaint, resolution: str, at: datetime, **extra: Any) -> ComplaintResolved:
    return ComplaintResolved(complaint_id=complaint.id, platform_id=complaint.platform_id, category=complaint.category,
                             occupation=complaint.occupation, district=complaint.district, resolution=resolution,
                             filed_at=complaint.filed_at, resolved_at=at, **extra)


async def accept_answer(session: AsyncSession, complaint: Complaint) -> Complaint:
    if complaint.status != "answered":
        raise Conflict("Only an answered complaint can be accepted", slug="complaint-not-answered")
    at = now()
    complaint.status, complaint.resolution, complaint.resolved_at = "resolved", "accepted", at
    record(session, _resolved(complaint, "accepted", at))
    return complaint


async def escalate(session: AsyncSession, complaint: Complaint, body: Escalation) -> tuple[Complaint, list[FindingRef]]:
    """To mediation (a case is opened) or to the responsible departments (an enforcement clue, a
    finding the gateway routes by measure, sector and district)."""
    if complaint.status == "resolved":
        raise Conflict("The complaint is already resolved", slug="complaint-resolved")
    at = now()
    found: list[FindingRef] = []
    if body.to == "mediation":
        case = await _open_case(session, complaint.worker_id, at, category=complaint.category,
                                description=complaint.description, claims=body.claims, facts=body.facts,
                                complaint_id=complaint.id, platform_id=complaint.platform_id,
                                enterprise_id=complaint.enterprise_id, contract_id=complaint.contract_id,
                                engagement_type=complaint.engagement_type, occupation=complaint.occupation,
                                district=complaint.district)
        complaint.case_id = case.id
        found = await _raise_misclassification(session, case)
        event = _resolved(complaint, "mediation", at, case_id=case.id)
    else:
        spec = rules.complaint_escalated(complaint.category, business_date(at), reply_overdue=complaint.reply_overdue,
                                         answered=complaint.answered_at is not None)
        found = [await raise_finding(session, spec, subject_type="complaint", subject_id=complaint.id,
                                     platform_id=complaint.platform_id, enterprise_id=complaint.enterprise_id,
                                     worker_id=None if complaint.identity_masked else complaint.worker_id,
                                     occupation=complaint.occupation, district=complaint.district, observed_at=at)]
        complaint.escalation_measure = spec.measure
        event = _resolved(complaint, "department", at, escalation_measure=spec.measure)
    complaint.status, complaint.resolution, complaint.resolved_at = "resolved", body.to, at
    await deadlines.cancel(session, clocks.COMPLAINT_REPLY, complaint.id)
    record(session, event)
    return complaint, found


# ---------------------------------------------------------------------------------------------
# Cases: opening, the roster, mediation (M18)
# ---------------------------------------------------------------------------------------------
def _stage_event(case: Case, previous: str | None, reason: str, at: datetime) -> CaseStageChanged:
    return CaseStageChanged(case_id=case.id, platform_id=case.platform_id, category=case.category,
                            occupation=case.occupation, district=case.district, track=case.track, stage=case.stage,
                            previous_stage=previous, reason=reason, claims_total_fen=case.claims_total_fen,
                            received_at=case.received_at, at=at)


def _move(session: AsyncSession, case: Case, stage: str, reason: str, at: datetime | None = None) -> None:
    previous, case.stage = case.stage, stage
    record(session, _stage_event(case, previous, reason, at or now()))


async def _open_case(session: AsyncSession, worker_id: str, at: datetime, *, claims: Sequence[Any], facts: list[str],
                     **fields: Any) -> Case:
    case = Case(id=new_id("case"), worker_id=worker_id, claims=[c.model_dump() for c in claims],
                claims_total_fen=sum(c.amount_fen for c in claims), facts=sorted(set(facts)),
                track=rules.track_of(fields.get("engagement_type")), stage="received", received_at=at, **fields)
    case.misclassification_question = rules.misclassification_question(
        case.engagement_type, case.facts, business_date(at)) is not None
    session.add(case)
    received_on = business_date(at)
    await deadlines.schedule(session, clocks.MEDIATION_ACCEPTANCE, case.id,
                             end_of_business_day(clocks.mediation_acceptance_due(received_on)), now=at)
    record(session, _stage_event(case, None, "opened", at))
    return case


async def _raise_misclassification(session: AsyncSession, case: Case) -> list[FindingRef]:
    spec = rules.misclassification_question(case.engagement_type, case.facts, business_date(case.received_at))
    if spec is None:
        return []
    return [await raise_finding(session, spec, subject_type="case", subject_id=case.id, platform_id=case.platform_id,
                                enterprise_id=case.enterprise_id, worker_id=case.worker_id,
                                occupation=case.occupation, district=case.district, observed_at=case.received_at)]


async def open_case(session: AsyncSession, worker_id: str, body: CaseCreate) -> tuple[Case, list[FindingRef]]:
    parties = await _parties(session, worker_id, body)
    case = await _open_case(session, worker_id, now(), category=body.category, description=body.description,
                            claims=body.claims, facts=body.facts, **parties)
    return case, await _raise_misclassification(session, case)


async def visible_case(session: AsyncSession, case_id: str, principal: Principal, *, for_update: bool = False) -> Case:
    """A case in the caller's view: parties, oversight, and the mediator assigned to it."""
    case = await session.get(Case, case_id, with_for_update=for_update or None)
    if case is not None:
        if principal.role == Role.mediator:
            if case.mediator_id is not None and case.mediator_id == principal.subject:
                return case
        elif visibility(principal).allows(platform_id=case.platform_id, worker_id=case.worker_id):
            return case
    raise NotFound(f"No case {case_id!r}")


def require_mediation_actor(principal: Principal, case: Case) -> None:
    """The mediator assigned, or a mediation body."""
    if principal.role == Role.mediator and case.mediator_id == principal.subject:
        return
    require_body(principal, MEDIATION_BODIES)


async def accept_for_mediation(session: AsyncSession, case: Case, body: Acceptance) -> Case:
    if case.stage != "received":
        raise Conflict(f"The case is {case.stage}; only a received case is accepted", slug="case-not-received")
    accepted_on = body.accepted_on or today()
    _not_in_future(accepted_on, "accepted_on")
    if accepted_on < business_date(case.received_at):
        raise Unprocessable("A case cannot be accepted before it was received", slug="accepted-before-received")
    case.accepted_on = accepted_on
    await deadlines.cancel(session, clocks.MEDIATION_ACCEPTANCE, case.id)
    await deadlines.schedule(session, clocks.MEDIATION_LIMIT, case.id,
                             end_of_business_day(clocks.mediation_limit(accepted_on)))
    _move(session, case, "mediating", "accepted")
    return case


async def open_cases_of(session: AsyncSession, mediator_ids: Sequence[str]) -> dict[str, int]:
    if not mediator_ids:
        return {}
    rows = await session.execute(select(Case.mediator_id, func.count()).where(
        Case.mediator_id.in_(list(mediator_ids)), Case.stage.in_(OPEN_MEDIATION)).group_by(Case.mediator_id))
    return {mediator: count for mediator, count in rows.all()}


def _roster_of(track: str) -> str:
    return "labour" if track == "labour_arbitration" else "court"


def _unfit(mediator: Mediator, case: Case, on: date) -> str | None:
    if not mediator.active:
        return "is inactive"
    if not mediator.term_from <= on <= mediator.term_until:
        return "is outside their term"
    if {case.platform_id, case.enterprise_id} & set(mediator.conflicts):
        return "has a conflict of interest with a party"
    if _roster_of(case.track) not in mediator.rosters:
        return f"is not on the {_roster_of(case.track)} mediation roster"
    return None


async def assign_mediator(session: AsyncSession, case: Case, body: Assignment) -> Case:
    """By the mediator named, or: fit (active, in term, no conflict, on the track's roster), then
    specialty in the case's category, then the lightest load."""
    if case.stage not in OPEN_MEDIATION:
        raise Conflict(f"The case is {case.stage}; mediators are assigned to open mediations", slug="case-not-open")
    on = today()
    if body.mediator_id is not None:
        mediator = await session.get(Mediator, body.mediator_id)
        if mediator is None:
            raise NotFound(f"No mediator {body.mediator_id!r}")
        reason = _unfit(mediator, case, on)
        if reason:
            raise Conflict(f"Mediator {mediator.id} {reason}", slug="mediator-unfit")
    else:
        candidates = [m for m in (await session.execute(select(Mediator).where(Mediator.active))).scalars()
                      if _unfit(m, case, on) is None]
        if not candidates:
            raise Conflict("No active mediator on the roster fits this case", slug="no-mediator")
        load = await open_cases_of(session, [m.id for m in candidates])
        mediator = min(candidates, key=lambda m: (case.category not in m.specialties, load.get(m.id, 0), m.id))
    case.mediator_id = mediator.id
    return case


async def record_session(session: AsyncSession, case: Case, principal: Principal, body: SessionCreate) -> Case:
    if case.stage != "mediating":
        raise Conflict(f"The case is {case.stage}; sessions are held while mediating", slug="case-not-mediating")
    if case.mediator_id is None:
        raise Conflict("No mediator is assigned", slug="no-mediator-assigned")
    _not_in_future(body.held_on, "held_on")
    if case.accepted_on and body.held_on < case.accepted_on:
        raise Unprocessable("A session cannot be held before the case was accepted", slug="session-before-acceptance")
    session.add(MediationSession(id=new_id("ses"), case_id=case.id, mediator_id=case.mediator_id,
                                 held_on=body.held_on, summary=body.summary, recorded_at=now()))
    return case


async def extend_mediation(session: AsyncSession, case: Case, body: MediationExtension) -> Case:
    if case.stage != "mediating" or case.accepted_on is None:
        raise Conflict(f"The case is {case.stage}; only a running mediation is extended", slug="case-not-mediating")
    _reject(clocks.mediation_extension_violation(
        case.accepted_on, body.days, already_extended=case.mediation_extension_days > 0,
        worker_consents=body.worker_consents, enterprise_consents=body.enterprise_consents))
    case.mediation_extension_days = body.days
    await deadlines.move(session, clocks.MEDIATION_LIMIT, case.id,
                         end_of_business_day(clocks.mediation_limit(case.accepted_on, body.days)))
    return case


async def end_mediation(session: AsyncSession, case: Case, body: Outcome) -> Case:
    if case.stage == "withdrawn":
        raise Conflict("The worker withdrew this case; it takes no outcome", slug="case-withdrawn")
    if case.stage != "mediating":
        raise Conflict(f"The case is {case.stage}; only a running mediation ends with an outcome",
                       slug="case-not-mediating")
    at = now()
    if body.outcome == "agreement":
        assert body.fulfil_by is not None  # the schema requires it for an agreement
        if body.fulfil_by < business_date(at):
            raise Unprocessable("An agreement cannot be due for fulfilment in the past", slug="fulfil-by-in-past")
        case.agreement_terms, case.agreement_amount_fen, case.fulfil_by = body.terms, body.amount_fen, body.fulfil_by
        await deadlines.schedule(session, clocks.AGREEMENT_FULFILMENT, case.id, end_of_business_day(body.fulfil_by))
    case.outcome, case.outcome_at = body.outcome, at
    await deadlines.cancel(session, clocks.MEDIATION_LIMIT, case.id)
    _move(session, case, body.outcome, body.outcome, at)
    return case


async def withdraw(session: AsyncSession, case: Case) -> Case:
    if case.stage not in OPEN_MEDIATION:
        raise Conflict(f"The case is {case.stage}; only an open mediation can be withdrawn", slug="case-not-open")
    at = now()
    case.outcome, case.outcome_at, case.closed_at = "withdrawal", at, at
    await deadlines.cancel(session, clocks.MEDIATION_ACCEPTANCE, case.id)
    await deadlines.cancel(session, clocks.MEDIATION_LIMIT, case.id)
    _move(session, case, "withdrawn", "withdrawal", at)
    return case


async def fulfil(session: AsyncSession, case: Case, fulfilled_on: date | None) -> Case:
    if case.stage != "agreement":
        raise Conflict(f"The case is {case.stage}; only an agreement is fulfilled", slug="no-agreement")
    day = fulfilled_on or today()
    _not_in_future(day, "fulfilled_on")
    if case.outcome_at and day < business_date(case.outcome_at):
        raise Unprocessable("An agreement cannot be fulfilled before it was made", slug="fulfilled-before-agreement")
    case.fulfilled_on, case.closed_at = day, now()
    await deadlines.cancel(session, clocks.AGREEMENT_FULFILMENT, case.id)
    _move(session, case, "fulfilled", "fulfilled")
    return case


def eligible_for_arbitration(case: Case, on: date | None = None) -> bool:
    """No agreement (by outcome or because the mediation limit passed), or an agreement not fulfilled in time."""
    if case.stage == "no_agreement":
        return True
    on = on or today()
    return case.stage == "agreement" and case.fulfil_by is not None and on > case.fulfil_by


# ---------------------------------------------------------------------------------------------
# Arbitration and the court (M18)
# ---------------------------------------------------------------------------------------------
async def apply_for_arbitration(session: AsyncSession, case: Case, body: ArbitrationApplication) -> Case:
    if not eligible_for_arbitration(case):
        raise Conflict(f"The case is {case.stage}: arbitration follows mediation without (fulfilled) agreement",
                       slug="not-eligible-for-arbitration")
    _reject(rules.arbitration_track_violation(case.track, case.misclassification_question))
    received_on = body.received_on or today()
    _not_in_future(received_on, "received_on")
    if body.knew_of_breach_on > received_on:
        raise Unprocessable("The breach cannot be known after the application", slug="knew-after-application")
    if body.employment_ended_on is not None and body.employment_ended_on > received_on:
        raise Unprocessable("employment_ended_on is after the application", slug="ended-after-application")
    limit = clocks.limitation(received_on, body.knew_of_breach_on,
                              unpaid_pay_during_employment=body.unpaid_pay_during_employment,
                              employment_ended_on=body.employment_ended_on)
    case.arbitration_received_on, case.knew_of_breach_on = received_on, body.knew_of_breach_on
    case.limitation_ends_on, case.limitation_expired = limit.ends_on, limit.expired
    await deadlines.cancel(session, clocks.AGREEMENT_FULFILMENT, case.id)
    await deadlines.schedule(session, clocks.ARBITRATION_ACCEPTANCE, case.id,
                             end_of_business_day(clocks.arbitration_acceptance_due(received_on)))
    _move(session, case, "arbitration_requested", "applied")
    return case


async def refer_to_court(session: AsyncSession, case: Case) -> Case:
    """A work agreement or civil dispute that mediation did not settle goes to the court."""
    if not eligible_for_arbitration(case):
        raise Conflict(f"The case is {case.stage}: the court follows mediation without (fulfilled) agreement",
                       slug="not-eligible-for-court")
    if case.track != "people_mediation_court":
        raise Conflict("A labour relationship goes to labour arbitration first", slug="arbitration-first")
    case.closed_at = now()
    await deadlines.cancel(session, clocks.AGREEMENT_FULFILMENT, case.id)
    _move(session, case, "court_referred", "court_referral")
    return case


async def accept_arbitration(session: AsyncSession, case: Case, body: Acceptance) -> Case:
    if case.stage != "arbitration_requested":
        raise Conflict(f"The case is {case.stage}; only an application is accepted", slug="no-application")
    accepted_on = body.accepted_on or today()
    _not_in_future(accepted_on, "accepted_on")
    assert case.arbitration_received_on is not None
    if accepted_on < case.arbitration_received_on:
        raise Unprocessable("Arbitration cannot be accepted before the application was received",
                            slug="accepted-before-received")
    case.arbitration_accepted_on = accepted_on
    await deadlines.cancel(session, clocks.ARBITRATION_ACCEPTANCE, case.id)
    await deadlines.schedule(session, clocks.ARBITRATION_AWARD, case.id,
                             end_of_business_day(clocks.award_due(accepted_on)))
    _move(session, case, "arbitration_accepted", "accepted")
    return case


def _require_running_arbitration(case: Case) -> date:
    if case.stage != "arbitration_accepted" or case.arbitration_accepted_on is None:
        raise Conflict(f"The case is {case.stage}; no arbitration is running", slug="no-arbitration")
    return case.arbitration_accepted_on


async def extend_award_limit(session: AsyncSession, case: Case, days: int) -> Case:
    accepted_on = _require_running_arbitration(case)
    _reject(clocks.award_extension_violation(accepted_on, days, already_extended=case.award_extension_days > 0))
    clock = await deadlines.live(session, clocks.ARBITRATION_AWARD, case.id)
    if clock is None:
        raise Conflict("The award limit has already run out", slug="no-clock")
    case.award_extension_days = days
    # Moved by the days granted, keeping any suspension already counted.
    await deadlines.move(session, clocks.ARBITRATION_AWARD, case.id, clock.due_at + timedelta(days=days))
    return case


async def suspend(session: AsyncSession, case: Case, at: datetime | None) -> Case:
    accepted_on = _require_running_arbitration(case)
    at = at or now()
    if business_date(at) < accepted_on:
        raise Unprocessable("A suspension cannot start before the arbitration was accepted",
                            slug="suspended-before-acceptance")
    await deadlines.pause(session, clocks.ARBITRATION_AWARD, case.id, at)
    case.suspended = True
    return case


async def resume(session: AsyncSession, case: Case, at: datetime | None) -> Case:
    _require_running_arbitration(case)
    await deadlines.resume(session, clocks.ARBITRATION_AWARD, case.id, at or now())
    case.suspended = False
    return case


async def restart_award_clock(session: AsyncSession, case: Case, body: ArbitrationRestart) -> Case:
    """Claims changed or a party added: the award limit runs afresh from that day (an extension
    already granted is not granted again)."""
    accepted_on = _require_running_arbitration(case)
    if body.reason not in clocks.restart_reasons(body.on):
        raise Unprocessable(f"{body.reason} does not restart the award clock", slug="no-restart")
    if body.on < accepted_on:
        raise Unprocessable("The change cannot precede the acceptance", slug="restart-before-acceptance")
    _not_in_future(body.on, "on")
    if case.suspended:
        raise Conflict("The arbitration is suspended; resume it first", slug="arbitration-suspended")
    if body.claims is not None:
        case.claims = [c.model_dump() for c in body.claims]
        case.claims_total_fen = sum(c.amount_fen for c in body.claims)
    await deadlines.schedule(session, clocks.ARBITRATION_AWARD, case.id, end_of_business_day(clocks.award_due(body.on)))
    return case


async def award(session: AsyncSession, case: Case, body: Award) -> Case:
    accepted_on = _require_running_arbitration(case)
    if body.awarded_on < accepted_on:
        raise Unprocessable(f"An award ({body.awarded_on}) cannot precede the acceptance ({accepted_on})",
                            slug="award-before-acceptance")
    _not_in_future(body.awarded_on, "awarded_on")
    if case.suspended:
        raise Conflict("The arbitration is suspended; resume it before the award", slug="arbitration-suspended")
    case.awarded_on, case.award_amount_fen = body.awarded_on, body.amount_fen
    case.award_final = clocks.award_final_for_employer([c["amount_fen"] for c in case.claims], body.awarded_on)
    case.closed_at = now()
    await deadlines.cancel(session, clocks.ARBITRATION_AWARD, case.id)
    _move(session, case, "awarded", "awarded")
    return case


async def request_legal_aid(session: AsyncSession, case: Case) -> Case:
    if case.legal_aid_requested_at is not None:
        raise Conflict("Legal aid was already requested for this case", slug="legal-aid-requested")
    at = now()
    case.legal_aid_requested_at = at
    record(session, LegalAidRequested(case_id=case.id, worker_id=case.worker_id, platform_id=case.platform_id,
                                      category=case.category, district=case.district, requested_at=at))
    return case


# ---------------------------------------------------------------------------------------------
# The roster (M18: dynamic management; court and labour rosters linked)
# ---------------------------------------------------------------------------------------------
def _check_specialties(specialties: Sequence[str]) -> None:
    unknown = sorted(set(specialties) - set(rules.categories(today())))
    if unknown:
        raise Unprocessable(f"Unknown specialties {unknown} (use complaint categories)", slug="unknown-specialty")


async def add_mediator(session: AsyncSession, body: MediatorCreate) -> Mediator:
    _check_specialties(body.specialties)
    at = now()
    mediator = Mediator(id=new_id("med"), name=body.name, organisation=body.organisation, source=body.source,
                        specialties=list(body.specialties), rosters=sorted(set(body.rosters)),
                        conflicts=list(body.conflicts), term_from=body.term_from, term_until=body.term_until,
                        active=True, created_at=at, updated_at=at)
    session.add(mediator)
    return mediator


async def update_mediator(session: AsyncSession, mediator: Mediator, body: MediatorUpdate) -> Mediator:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("specialties") is not None:
        _check_specialties(changes["specialties"])
    if changes.get("term_until") is not None and changes["term_until"] < mediator.term_from:
        raise Unprocessable("term_until is before the term started", slug="term-before-start")
    for name, value in changes.items():
        if value is not None:
            setattr(mediator, name, sorted(set(value)) if name == "rosters" else value)
    mediator.updated_at = now()
    return mediator


# ---------------------------------------------------------------------------------------------
# Clocks that run out (fired once by the kit's deadline worker; finding and event in its transaction)
# ---------------------------------------------------------------------------------------------
def _expired(deadline: Deadline, platform_id: str, worker_id: str, finding: FindingRef | None) -> ClockExpired:
    return ClockExpired(kind=deadline.kind, subject_id=deadline.subject_id, platform_id=platform_id,
                        worker_id=worker_id, due_at=deadline.due_at,
                        finding_id=finding.finding_id if finding else None)


async def on_reply_overdue(session: AsyncSession, deadline: Deadline) -> None:
    complaint = await session.get(Complaint, deadline.subject_id, with_for_update=True)
    if complaint is None or complaint.status != "awaiting_reply":
        return
    complaint.reply_overdue = True
    finding = await raise_finding(session, rules.reply_overdue(complaint.category, complaint.reply_due_on),
                                  subject_type="complaint", subject_id=complaint.id, platform_id=complaint.platform_id,
                                  enterprise_id=complaint.enterprise_id,
                                  worker_id=None if complaint.identity_masked else complaint.worker_id,
                                  occupation=complaint.occupation, district=complaint.district,
                                  observed_at=deadline.due_at)
    record(session, _expired(deadline, complaint.platform_id, complaint.worker_id, finding))


async def _case_of(session: AsyncSession, deadline: Deadline, stage: str) -> Case | None:
    case = await session.get(Case, deadline.subject_id, with_for_update=True)
    return case if case is not None and case.stage == stage else None


async def _case_finding(session: AsyncSession, case: Case, spec, deadline: Deadline) -> FindingRef:
    return await raise_finding(session, spec, subject_type="case", subject_id=case.id, platform_id=case.platform_id,
                               enterprise_id=case.enterprise_id, worker_id=case.worker_id,
                               occupation=case.occupation, district=case.district, observed_at=deadline.due_at)


async def on_mediation_acceptance_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "received")
    if case is None:
        return
    received_on = business_date(case.received_at)
    spec = rules.mediation_acceptance_overdue(received_on, clocks.mediation_acceptance_due(received_on))
    record(session, _expired(deadline, case.platform_id, case.worker_id,
                             await _case_finding(session, case, spec, deadline)))


async def on_mediation_limit(session: AsyncSession, deadline: Deadline) -> None:
    """No agreement in time: the case becomes eligible for arbitration (or the court), and the
    worker is told by its stage and the event. Not a breach: no finding."""
    case = await _case_of(session, deadline, "mediating")
    if case is None:
        return
    case.outcome, case.outcome_at = "no_agreement", deadline.due_at
    _move(session, case, "no_agreement", "mediation_limit_passed", deadline.due_at)
    record(session, _expired(deadline, case.platform_id, case.worker_id, None))


async def on_agreement_unfulfilled(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "agreement")
    if case is None or case.fulfil_by is None:
        return
    finding = await _case_finding(session, case, rules.agreement_unfulfilled(case.fulfil_by, case.agreement_amount_fen),
                                  deadline)
    record(session, _expired(deadline, case.platform_id, case.worker_id, finding))


async def on_acceptance_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "arbitration_requested")
    if case is None or case.arbitration_received_on is None:
        return
    spec = rules.arbitration_acceptance_overdue(case.arbitration_received_on,
                                                clocks.arbitration_acceptance_due(case.arbitration_received_on))
    record(session, _expired(deadline, case.platform_id, case.worker_id,
                             await _case_finding(session, case, spec, deadline)))


async def on_award_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "arbitration_accepted")
    if case is None or case.arbitration_accepted_on is None:
        return
    due_on = business_date(deadline.due_at - timedelta(microseconds=1))
    spec = rules.award_overdue(case.arbitration_accepted_on, due_on, case.award_extension_days)
    record(session, _expired(deadline, case.platform_id, case.worker_id,
                             await _case_finding(session, case, spec, deadline)))


#: Clocks this service runs (`kind` → handler), fired by the kit's deadline worker.
DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {
    clocks.COMPLAINT_REPLY: on_reply_overdue,
    clocks.MEDIATION_ACCEPTANCE: on_mediation_acceptance_overdue,
    clocks.MEDIATION_LIMIT: on_mediation_limit,
    clocks.AGREEMENT_FULFILMENT: on_agreement_unfulfilled,
    clocks.ARBITRATION_ACCEPTANCE: on_acceptance_overdue,
    clocks.ARBITRATION_AWARD: on_award_overdue,
}
