"""Use cases: rules + state change + outbox record + clocks, in the request's transaction (never commits).

Every check runs before the first write, and a request that fails anyway is rolled back whole by
the request's session: nothing is half-stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock, deadlines
from newform_common.auth import Principal, Role
from newform_common.deadlines import FIRED, PENDING, Deadline, DeadlineHandler, end_of_business_day
from newform_common.errors import Conflict, Forbidden, NotFound, PolicyViolation, Unprocessable
from newform_common.events import Envelope
from newform_common.findings import FindingRef, Violation, raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date, get_policy
from newform_common.scope import visibility

from . import clocks, rules
from .consumed import ENGAGEMENT_EVENTS, CaseOutcomeRecorded, ContractDrafted
from .events import (
    STAGES_V1,
    CaseStageChanged,
    CaseStageChangedV1,
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
    ArbitrationRefusal,
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
    Reassignment,
    SessionCreate,
)

#: Departments whose mediation organisations accept cases, keep the roster and assign mediators:
#: the court (特邀调解), HRSS (labour mediation and arbitration), the union, justice (people's mediation).
MEDIATION_BODIES = ("court", "hrss", "union", "justice")
#: The labour arbitration committee sits with HRSS.
ARBITRATION_BODIES = ("hrss",)
#: The department that answers for a mediation body named by no one (HRSS guides labour dispute
#: mediation: 劳动争议调解仲裁法 art. 8; 人力资源社会保障部令第17号 art. 5) — a judgement call, RULES.md.
DEFAULT_MEDIATION_BODY = "hrss"

OPEN_MEDIATION = ("received", "mediating")


def now() -> datetime:
    return clock.now()


def today() -> date:
    return business_date(now())


def _reject(violation: Violation | None) -> None:
    if violation is not None:
        raise PolicyViolation(violation.detail, measure=violation.measure, rule=violation.rule)


def _not_in_future(day: date, what: str) -> None:
    if day > today():
        raise Unprocessable(f"{what} ({day.isoformat()}) is in the future", slug="date-in-future")


async def _start(
    session: AsyncSession,
    kind: str,
    subject_id: str,
    period: clocks.Period,
    *,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Deadline:
    """A legal period's durable clock, counted by the kit's one period rule (kept with the row).

    A fact entered after its period already ran out (a paper application entered weeks later) does
    not fire at once: the body has until the end of the day of entry to enter what it did in time
    (an acceptance, a refusal, an award, each with its own day), then the clock fires. The clock keeps
    the law's last day (`data.last_day`), which its findings and the case view show."""
    deadline = await deadlines.schedule_period(
        session, kind, subject_id, start=period.start, days=period.days, unit=period.unit, data=data, now=at
    )
    return await _entered_late(session, deadline, at or now())


async def _start_on(session: AsyncSession, kind: str, subject_id: str, last_day: date) -> Deadline:
    """A clock on an agreed day (a fulfilment date), not a legal period; entered late as `_start`."""
    deadline = await deadlines.schedule(session, kind, subject_id, end_of_business_day(last_day))
    return await _entered_late(session, deadline, now())


async def _entered_late(session: AsyncSession, deadline: Deadline, entered: datetime) -> Deadline:
    # A clock set afresh (a restart) forgets the day an earlier setting kept.
    data = {k: v for k, v in deadline.data.items() if k != clocks.LEGAL_LAST_DAY}
    deadline.data = data
    if deadline.due_at <= entered:
        last_day = business_date(deadline.due_at - timedelta(microseconds=1))
        deadline = await deadlines.move(
            session, deadline.kind, deadline.subject_id, end_of_business_day(business_date(entered))
        )
        deadline.data = {**data, clocks.LEGAL_LAST_DAY: last_day.isoformat()}
    return deadline


def _last_day(deadline: Deadline) -> date:
    return clocks.last_day_of(deadline)


async def _extend(session: AsyncSession, kind: str, subject_id: str, days: int, whole: clocks.Period) -> None:
    """Lengthen a running period by `days` (the kit counts it again, suspensions kept); a clock that was
    entered after its period ran out is set afresh for the `whole` extended period."""
    current = await deadlines.live(session, kind, subject_id)
    if current is not None and clocks.LEGAL_LAST_DAY in current.data:
        await _start(session, kind, subject_id, whole)
    else:
        await deadlines.extend(session, kind, subject_id, days)


async def _stop(session: AsyncSession, kind: str, case: Case, decided_on: date) -> None:
    """The act a clock waited for happened on `decided_on`. Done in time: the clock is cancelled. Done
    after its last day but entered before the clock fired (paper records are entered later): the clock
    fires now, with the finding it would have raised, so a late act never hides the lateness."""
    current = await deadlines.live(session, kind, case.id)
    if current is None:
        return
    if current.status == PENDING and decided_on > _last_day(current):
        await DEADLINE_HANDLERS[kind](session, current)
        current.status, current.fired_at = FIRED, now()
    else:
        await deadlines.cancel(session, kind, case.id)


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
        row = rows.setdefault(
            event.contract_id, {"contract_id": event.contract_id, "occupation": None, "district": None}
        )
        row.update(
            worker_id=event.worker_id,
            platform_id=event.platform_id,
            enterprise_id=event.enterprise_id,
            engagement_type=event.engagement_type,
            status=status,
            updated_at=getattr(event, "at", None) or event.drafted_at,
        )
        if isinstance(event, ContractDrafted):
            row.update(occupation=event.occupation, district=event.district)
    if not rows:
        return
    statement = insert(Engagement).values(list(rows.values()))
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Engagement.contract_id],
            set_={
                "worker_id": excluded.worker_id,
                "platform_id": excluded.platform_id,
                "enterprise_id": excluded.enterprise_id,
                "engagement_type": excluded.engagement_type,
                "status": excluded.status,
                "updated_at": excluded.updated_at,
                "occupation": func.coalesce(excluded.occupation, Engagement.occupation),
                "district": func.coalesce(excluded.district, Engagement.district),
            },
        )
    )


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
        return {
            "platform_id": engagement.platform_id,
            "enterprise_id": body.enterprise_id or engagement.enterprise_id,
            "contract_id": engagement.contract_id,
            "engagement_type": engagement.engagement_type,
            "occupation": engagement.occupation or body.occupation,
            "district": engagement.district or body.district,
        }
    if body.platform_id is None:
        raise Unprocessable("Name the platform complained against, or the engagement", slug="no-respondent")
    return {
        "platform_id": body.platform_id,
        "enterprise_id": body.enterprise_id,
        "contract_id": None,
        "engagement_type": None,
        "occupation": body.occupation,
        "district": body.district,
    }


# ---------------------------------------------------------------------------------------------
# Awards and judgments the departments record (departments.case_outcome.recorded.v1)
# ---------------------------------------------------------------------------------------------
#: forum → outcome → the stage the case reaches. An arbitration that ends in an award (upheld,
#: partly upheld, dismissed) is `awarded`; one settled by the committee's mediation `settled`; one
#: withdrawn `withdrawn`. A court's judgment, whatever it holds, is `judged`.
DECISION_STAGES = {
    "arbitration": {
        "upheld": "awarded",
        "partly_upheld": "awarded",
        "dismissed": "awarded",
        "settled": "settled",
        "withdrawn": "withdrawn",
    },
    "court": {
        "upheld": "judged",
        "partly_upheld": "judged",
        "dismissed": "judged",
        "settled": "judged",
        "withdrawn": "judged",
    },
}
CLOCK_KINDS = (
    clocks.MEDIATION_ACCEPTANCE,
    clocks.MEDIATION_LIMIT,
    clocks.MEDIATOR_REASSIGNMENT,
    clocks.AGREEMENT_FULFILMENT,
    clocks.ARBITRATION_ACCEPTANCE,
    clocks.ARBITRATION_AWARD,
)


async def apply_case_outcomes(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """M18: an award (hrss) or a judgment (court) recorded by the departments is the verified fact of
    how the case named by `dispute_id` ended: its state, its amount and its reference number. A
    statement about someone else's case (another worker) or an older version is ignored."""
    for envelope in envelopes:
        if envelope.type != CaseOutcomeRecorded.event_type:
            continue
        event = CaseOutcomeRecorded.of(envelope)
        stage = DECISION_STAGES.get(event.forum, {}).get(event.outcome)
        if event.dispute_id is None or stage is None:
            continue
        case = await session.get(Case, event.dispute_id, with_for_update=True)
        if case is None or (event.worker_id is not None and event.worker_id != case.worker_id):
            continue  # not ours, or a reference to the wrong worker's case: never settle it
        if case.decision_reference == event.reference and (case.decision_version or 0) >= event.version:
            continue  # a statement we applied already
        await _apply_decision(session, case, event, stage)


async def _apply_decision(session: AsyncSession, case: Case, event: CaseOutcomeRecorded, stage: str) -> None:
    # A late award still shows the committee's lateness; every other clock simply stops.
    if event.forum == "arbitration" and case.stage == "arbitration_accepted":
        await _stop(session, clocks.ARBITRATION_AWARD, case, event.decided_on)
    for kind in CLOCK_KINDS:
        await deadlines.cancel(session, kind, case.id)
    case.decision_forum, case.decision_outcome = event.forum, event.outcome
    case.decision_reference, case.decision_version = event.reference, event.version
    case.decided_on, case.decision_amount_fen = event.decided_on, event.awarded_fen
    if stage == "awarded":
        # The fact states one amount, not the award's items: finality (art. 47) is not judged from it.
        if case.award_items is None or case.awarded_on != event.decided_on:
            case.award_items, case.award_final = None, None
        case.awarded_on, case.award_amount_fen = event.decided_on, event.awarded_fen
    case.suspended, case.closed_at = False, case.closed_at or now()
    if case.stage != stage:
        _move(session, case, stage, f"{event.forum}_outcome_recorded")


# ---------------------------------------------------------------------------------------------
# Complaints (M10, M20)
# ---------------------------------------------------------------------------------------------
async def file_complaint(session: AsyncSession, worker_id: str, body: ComplaintCreate) -> Complaint:
    parties = await _parties(session, worker_id, body)
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
        status="awaiting_reply",
        filed_at=at,
        reply_due_on=due_on,
        **parties,
    )
    session.add(complaint)
    await _start(
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


async def visible_complaint(
    session: AsyncSession, complaint_id: str, principal: Principal, *, for_update: bool = False
) -> Complaint:
    complaint = await session.get(Complaint, complaint_id, with_for_update=for_update or None)
    if complaint is None or not visibility(principal).allows(
        platform_id=complaint.platform_id, worker_id=complaint.worker_id
    ):
        raise NotFound(f"No complaint {complaint_id!r}")
    return complaint


async def answer_complaint(session: AsyncSession, complaint: Complaint, answer: str) -> Complaint:
    if complaint.status != "awaiting_reply":
        raise Conflict(
            f"The complaint is {complaint.status}; it takes no answer now", slug="complaint-not-awaiting-reply"
        )
    at = now()
    complaint.status, complaint.answer, complaint.answered_at = "answered", answer, at
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
        case = await _open_case(
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
        found = await _raise_misclassification(session, case)
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
    complaint.status, complaint.resolution, complaint.resolved_at = "resolved", body.to, at
    await deadlines.cancel(session, clocks.COMPLAINT_REPLY, complaint.id)
    record(session, event)
    return complaint, found


# ---------------------------------------------------------------------------------------------
# Cases: opening, the roster, mediation (M18)
# ---------------------------------------------------------------------------------------------
def _record_stage(session: AsyncSession, case: Case, previous: str | None, reason: str, at: datetime) -> None:
    """The stage event, v2 always and the deprecated v1 beside it while its stages can say the move."""
    data = dict(
        case_id=case.id,
        platform_id=case.platform_id,
        category=case.category,
        occupation=case.occupation,
        district=case.district,
        track=case.track,
        stage=case.stage,
        previous_stage=previous,
        reason=reason,
        claims_total_fen=case.claims_total_fen,
        received_at=case.received_at,
        at=at,
    )
    record(session, CaseStageChanged(**data))
    if case.stage in STAGES_V1 and (previous is None or previous in STAGES_V1):
        record(session, CaseStageChangedV1(**data))


def _move(session: AsyncSession, case: Case, stage: str, reason: str, at: datetime | None = None) -> None:
    previous, case.stage = case.stage, stage
    _record_stage(session, case, previous, reason, at or now())


async def _open_case(
    session: AsyncSession,
    worker_id: str,
    at: datetime,
    *,
    claims: Sequence[Any],
    facts: list[str],
    received_on: date | None,
    mediation_body: str | None = None,
    **fields: Any,
) -> Case:
    """A mediation application received on `received_on` (its acceptance clock starts); with
    `received_on` None the case is opened for arbitration and the caller applies at once."""
    case = Case(
        id=new_id("case"),
        worker_id=worker_id,
        claims=[c.model_dump() for c in claims],
        claims_total_fen=sum(c.amount_fen for c in claims),
        facts=sorted(set(facts)),
        track=rules.track_of(fields.get("engagement_type")),
        stage="received",
        received_at=at,
        received_on=received_on,
        mediation_body=mediation_body,
        **fields,
    )
    case.misclassification_question = (
        rules.misclassification_question(case.engagement_type, case.facts, business_date(at)) is not None
    )
    session.add(case)
    if received_on is not None:
        await _start(
            session, clocks.MEDIATION_ACCEPTANCE, case.id, clocks.mediation_acceptance_period(received_on), at=at
        )
        _record_stage(session, case, None, "opened", at)
    return case


async def _raise_misclassification(session: AsyncSession, case: Case) -> list[FindingRef]:
    spec = rules.misclassification_question(case.engagement_type, case.facts, business_date(case.received_at))
    if spec is None:
        return []
    return [
        await raise_finding(
            session,
            spec,
            subject_type="case",
            subject_id=case.id,
            platform_id=case.platform_id,
            enterprise_id=case.enterprise_id,
            worker_id=case.worker_id,
            occupation=case.occupation,
            district=case.district,
            observed_at=case.received_at,
        )
    ]


async def open_case(session: AsyncSession, worker_id: str, body: CaseCreate) -> tuple[Case, list[FindingRef]]:
    """A mediation application (received on `received_on`, default today), or — mediation being
    voluntary (劳动争议调解仲裁法 art. 5) — an arbitration application without any mediation."""
    parties = await _parties(session, worker_id, body)
    received_on = None
    if body.arbitration is None:
        received_on = body.received_on or today()
        _not_in_future(received_on, "received_on")
    case = await _open_case(
        session,
        worker_id,
        now(),
        category=body.category,
        description=body.description,
        claims=body.claims,
        facts=body.facts,
        received_on=received_on,
        mediation_body=body.mediation_body,
        **parties,
    )
    found = await _raise_misclassification(session, case)
    if body.arbitration is not None:
        await _apply_for_arbitration(session, case, body.arbitration, previous=None, reason="applied_without_mediation")
    return case, found


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


def mediation_department(case: Case) -> str:
    """The department that answers for the case's mediation body (its lateness is routed there)."""
    return case.mediation_body or DEFAULT_MEDIATION_BODY


async def accept_for_mediation(
    session: AsyncSession, case: Case, body: Acceptance, principal: Principal | None = None
) -> Case:
    if case.stage != "received" or case.received_on is None:
        raise Conflict(f"The case is {case.stage}; only a received case is accepted", slug="case-not-received")
    accepted_on = body.accepted_on or today()
    _not_in_future(accepted_on, "accepted_on")
    if accepted_on < case.received_on:
        raise Unprocessable("A case cannot be accepted before it was received", slug="accepted-before-received")
    if principal is not None and principal.role == Role.department and principal.department in MEDIATION_BODIES:
        case.mediation_body = principal.department  # the body that accepted it answers for it from now on
    await _stop(session, clocks.MEDIATION_ACCEPTANCE, case, accepted_on)
    case.accepted_on = accepted_on
    await _start(session, clocks.MEDIATION_LIMIT, case.id, clocks.mediation_limit_period(accepted_on))
    _move(session, case, "mediating", "accepted")
    return case


async def open_cases_of(session: AsyncSession, mediator_ids: Sequence[str]) -> dict[str, int]:
    if not mediator_ids:
        return {}
    rows = await session.execute(
        select(Case.mediator_id, func.count())
        .where(Case.mediator_id.in_(list(mediator_ids)), Case.stage.in_(OPEN_MEDIATION))
        .group_by(Case.mediator_id)
    )
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


async def _best_mediator(
    session: AsyncSession, case: Case, on: date, *, excluding: str | None = None
) -> Mediator | None:
    """Fit (active, in term, no conflict, on the track's roster), then specialty in the case's
    category, then the lightest load."""
    candidates = [
        m
        for m in (await session.execute(select(Mediator).where(Mediator.active))).scalars()
        if m.id != excluding and _unfit(m, case, on) is None
    ]
    if not candidates:
        return None
    load = await open_cases_of(session, [m.id for m in candidates])
    return min(candidates, key=lambda m: (case.category not in m.specialties, load.get(m.id, 0), m.id))


async def assign_mediator(session: AsyncSession, case: Case, body: Assignment) -> Case:
    """By the mediator named, or the best fit (`_best_mediator`)."""
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
        mediator = await _best_mediator(session, case, on)
        if mediator is None:
            raise Conflict("No active mediator on the roster fits this case", slug="no-mediator")
    case.mediator_id, case.mediator_needed_since = mediator.id, None
    await deadlines.cancel(session, clocks.MEDIATOR_REASSIGNMENT, case.id)
    return case


async def record_session(session: AsyncSession, case: Case, principal: Principal, body: SessionCreate) -> Case:
    if case.stage != "mediating":
        raise Conflict(f"The case is {case.stage}; sessions are held while mediating", slug="case-not-mediating")
    if case.mediator_id is None:
        raise Conflict("No mediator is assigned", slug="no-mediator-assigned")
    _not_in_future(body.held_on, "held_on")
    if case.accepted_on and body.held_on < case.accepted_on:
        raise Unprocessable("A session cannot be held before the case was accepted", slug="session-before-acceptance")
    session.add(
        MediationSession(
            id=new_id("ses"),
            case_id=case.id,
            mediator_id=case.mediator_id,
            held_on=body.held_on,
            summary=body.summary,
            recorded_at=now(),
        )
    )
    return case


async def extend_mediation(session: AsyncSession, case: Case, body: MediationExtension) -> Case:
    if case.stage != "mediating" or case.accepted_on is None:
        raise Conflict(f"The case is {case.stage}; only a running mediation is extended", slug="case-not-mediating")
    _reject(
        clocks.mediation_extension_violation(
            case.accepted_on,
            body.days,
            already_extended=case.mediation_extension_days > 0,
            worker_consents=body.worker_consents,
            enterprise_consents=body.enterprise_consents,
        )
    )
    if await deadlines.live(session, clocks.MEDIATION_LIMIT, case.id) is None:
        raise Conflict("The mediation limit has already run out", slug="no-clock")
    case.mediation_extension_days = body.days
    await _extend(
        session, clocks.MEDIATION_LIMIT, case.id, body.days, clocks.mediation_limit_period(case.accepted_on, body.days)
    )
    return case


async def end_mediation(session: AsyncSession, case: Case, body: Outcome) -> Case:
    if case.stage == "withdrawn":
        raise Conflict("The worker withdrew this case; it takes no outcome", slug="case-withdrawn")
    if case.stage != "mediating":
        raise Conflict(
            f"The case is {case.stage}; only a running mediation ends with an outcome", slug="case-not-mediating"
        )
    at = now()
    day = body.on or business_date(at)
    _not_in_future(day, "on")
    if case.accepted_on is not None and day < case.accepted_on:
        raise Unprocessable("Mediation cannot end before it was accepted", slug="outcome-before-acceptance")
    if body.on is not None and body.on < business_date(at):
        at = end_of_business_day(body.on) - timedelta(microseconds=1)  # entered later: the day it happened
    if body.outcome == "agreement":
        assert body.fulfil_by is not None  # the schema requires it for an agreement
        if body.fulfil_by < day:
            raise Unprocessable(
                "An agreement cannot be due for fulfilment before it was made", slug="fulfil-by-before-agreement"
            )
        case.agreement_terms, case.agreement_amount_fen, case.fulfil_by = body.terms, body.amount_fen, body.fulfil_by
        # An agreed date, not a legal period: due at the end of the day the parties agreed.
        await _start_on(session, clocks.AGREEMENT_FULFILMENT, case.id, body.fulfil_by)
    case.outcome, case.outcome_at = body.outcome, at
    await _end_mediation_clocks(session, case)
    _move(session, case, body.outcome, body.outcome, at)
    return case


async def _end_mediation_clocks(session: AsyncSession, case: Case) -> None:
    await deadlines.cancel(session, clocks.MEDIATION_LIMIT, case.id)
    await deadlines.cancel(session, clocks.MEDIATOR_REASSIGNMENT, case.id)


async def withdraw(session: AsyncSession, case: Case) -> Case:
    """The worker leaves mediation (voluntary, art. 5): arbitration or the court are open at once."""
    if case.stage not in OPEN_MEDIATION:
        raise Conflict(f"The case is {case.stage}; only an open mediation can be withdrawn", slug="case-not-open")
    at = now()
    case.outcome, case.outcome_at, case.closed_at = "withdrawal", at, at
    await _stop(session, clocks.MEDIATION_ACCEPTANCE, case, business_date(at))
    await _end_mediation_clocks(session, case)
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


def arbitration_open_from(case: Case) -> date | None:
    """M18 (art. 14): from this day the worker may apply for arbitration while mediation runs."""
    return clocks.arbitration_open_from(case.received_on) if case.received_on is not None else None


def eligible_for_arbitration(case: Case, on: date | None = None) -> bool:
    """Mediation is never a condition (art. 5): see `rules.may_apply_for_arbitration`."""
    return rules.may_apply_for_arbitration(
        case.stage, arbitration_open_from=arbitration_open_from(case), fulfil_by=case.fulfil_by, on=on or today()
    )


def court_route_open(case: Case, case_clocks: Sequence[Deadline], on: date | None = None) -> bool:
    """M18: the worker may go to the court now —
    - a work agreement or civil dispute out of mediation (classified handling);
    - the committee refused the application, or decided nothing in time (劳动争议调解仲裁法 art. 29);
    - the award is overdue (art. 43(1)): both follow from the clock, counted by the period rule."""
    on = on or today()
    if case.stage == "arbitration_refused":
        return True
    latest = {d.kind: d for d in case_clocks}
    if case.stage == "arbitration_requested":
        clock_ = latest.get(clocks.ARBITRATION_ACCEPTANCE)
        return clock_ is not None and clock_.status != "cancelled" and _last_day(clock_) < on
    if case.stage == "arbitration_accepted":
        clock_ = latest.get(clocks.ARBITRATION_AWARD)
        return clock_ is not None and clock_.status not in ("cancelled", "paused") and _last_day(clock_) < on
    return case.track == "people_mediation_court" and eligible_for_arbitration(case, on)


# ---------------------------------------------------------------------------------------------
# Arbitration and the court (M18)
# ---------------------------------------------------------------------------------------------
async def _limitation_interruptions(session: AsyncSession, case: Case, body: ArbitrationApplication) -> list[date]:
    """Art. 27(2): the worker's complaint to the platform (asserting the right against it), the
    mediation application (asking a body for relief) and any listed off-system act."""
    days = list(body.interrupted_on)
    if case.received_on is not None:
        days.append(case.received_on)
    if case.complaint_id is not None:
        complaint = await session.get(Complaint, case.complaint_id)
        if complaint is not None:
            days.append(business_date(complaint.filed_at))
    return days


async def apply_for_arbitration(session: AsyncSession, case: Case, body: ArbitrationApplication) -> Case:
    received_on = body.received_on or today()
    if not eligible_for_arbitration(case, received_on):
        opens = arbitration_open_from(case)
        when = (
            f"; from {opens.isoformat()} (15 days from receipt of the mediation application)"
            if opens and case.stage in OPEN_MEDIATION
            else ""
        )
        raise Conflict(
            f"The case is {case.stage}: arbitration is open after withdrawal, without agreement, or an "
            f"unfulfilled agreement{when}",
            slug="not-eligible-for-arbitration",
        )
    return await _apply_for_arbitration(session, case, body, previous=case.stage, reason="applied")


async def _apply_for_arbitration(
    session: AsyncSession, case: Case, body: ArbitrationApplication, *, previous: str | None, reason: str
) -> Case:
    _reject(rules.arbitration_track_violation(case.track, case.misclassification_question))
    received_on = body.received_on or today()
    _not_in_future(received_on, "received_on")
    if body.knew_of_breach_on > received_on:
        raise Unprocessable("The breach cannot be known after the application", slug="knew-after-application")
    if body.employment_ended_on is not None and body.employment_ended_on > received_on:
        raise Unprocessable("employment_ended_on is after the application", slug="ended-after-application")
    if any(d > received_on for d in body.interrupted_on):
        raise Unprocessable(
            "An interruption of the limitation cannot follow the application", slug="interruption-after-application"
        )
    limit = clocks.limitation(
        received_on,
        body.knew_of_breach_on,
        unpaid_pay_during_employment=body.unpaid_pay_during_employment,
        employment_ended_on=body.employment_ended_on,
        interruptions=await _limitation_interruptions(session, case, body),
    )
    case.arbitration_received_on, case.knew_of_breach_on = received_on, body.knew_of_breach_on
    case.limitation_runs_from, case.limitation_ends_on = limit.runs_from, limit.ends_on
    case.limitation_expired = limit.expired
    if case.stage in OPEN_MEDIATION and case.received_on is not None:  # leaving mediation (arts. 5, 14)
        await _stop(session, clocks.MEDIATION_ACCEPTANCE, case, received_on)
        await _end_mediation_clocks(session, case)
        case.outcome, case.outcome_at = case.outcome or "arbitration", case.outcome_at or now()
    case.closed_at = None
    await deadlines.cancel(session, clocks.AGREEMENT_FULFILMENT, case.id)
    await _start(session, clocks.ARBITRATION_ACCEPTANCE, case.id, clocks.arbitration_acceptance_period(received_on))
    at = now()
    case.stage = "arbitration_requested"
    _record_stage(session, case, previous, reason, at)
    return case


async def refer_to_court(session: AsyncSession, case: Case) -> Case:
    """To the court: a work agreement or civil dispute out of mediation; any dispute the committee
    refused or did not decide in time (art. 29), or did not award in time (art. 43)."""
    if not court_route_open(case, await deadlines.of_subject(session, case.id)):
        if case.track != "people_mediation_court" and case.stage not in (
            "arbitration_requested",
            "arbitration_accepted",
        ):
            raise Conflict("A labour relationship goes to labour arbitration first", slug="arbitration-first")
        raise Conflict(f"The case is {case.stage}: the court route is not open", slug="not-eligible-for-court")
    case.closed_at = now()
    for kind in (clocks.AGREEMENT_FULFILMENT, clocks.ARBITRATION_ACCEPTANCE, clocks.ARBITRATION_AWARD):
        await deadlines.cancel(session, kind, case.id)
    _move(session, case, "court_referred", "court_referral")
    return case


def _check_decision_day(case: Case, day: date, what: str) -> None:
    _not_in_future(day, what)
    assert case.arbitration_received_on is not None
    if day < case.arbitration_received_on:
        raise Unprocessable(
            f"The committee cannot decide ({what}) before the application was received",
            slug=f"{what.split('_')[0]}-before-received",
        )


async def accept_arbitration(session: AsyncSession, case: Case, body: Acceptance) -> Case:
    if case.stage != "arbitration_requested":
        raise Conflict(f"The case is {case.stage}; only an application is accepted", slug="no-application")
    accepted_on = body.accepted_on or today()
    _check_decision_day(case, accepted_on, "accepted_on")
    await _stop(session, clocks.ARBITRATION_ACCEPTANCE, case, accepted_on)
    case.arbitration_accepted_on = accepted_on
    await _start(session, clocks.ARBITRATION_AWARD, case.id, clocks.award_period(accepted_on))
    _move(session, case, "arbitration_accepted", "accepted")
    return case


async def refuse_arbitration(session: AsyncSession, case: Case, body: ArbitrationRefusal) -> Case:
    """The committee's written refusal (不予受理, art. 29): in time it is no breach; the worker may
    take the dispute to the court."""
    if case.stage != "arbitration_requested":
        raise Conflict(f"The case is {case.stage}; only an application is refused", slug="no-application")
    _check_decision_day(case, body.refused_on, "refused_on")
    await _stop(session, clocks.ARBITRATION_ACCEPTANCE, case, body.refused_on)
    case.arbitration_refused_on, case.arbitration_refusal_reason = body.refused_on, body.reason
    _move(session, case, "arbitration_refused", "refused")
    return case


def _require_running_arbitration(case: Case) -> date:
    if case.stage != "arbitration_accepted" or case.arbitration_accepted_on is None:
        raise Conflict(f"The case is {case.stage}; no arbitration is running", slug="no-arbitration")
    return case.arbitration_accepted_on


async def extend_award_limit(session: AsyncSession, case: Case, days: int) -> Case:
    accepted_on = _require_running_arbitration(case)
    _reject(clocks.award_extension_violation(accepted_on, days, already_extended=case.award_extension_days > 0))
    if await deadlines.live(session, clocks.ARBITRATION_AWARD, case.id) is None:
        raise Conflict("The award limit has already run out", slug="no-clock")
    case.award_extension_days = days
    # The period lengthened, counted again by the period rule (a suspension already counted stays).
    await _extend(
        session, clocks.ARBITRATION_AWARD, case.id, days, clocks.award_period(accepted_on, extension_days=days)
    )
    return case


async def suspend(session: AsyncSession, case: Case, at: datetime | None) -> Case:
    accepted_on = _require_running_arbitration(case)
    at = at or now()
    if business_date(at) < accepted_on:
        raise Unprocessable(
            "A suspension cannot start before the arbitration was accepted", slug="suspended-before-acceptance"
        )
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
    await _start(session, clocks.ARBITRATION_AWARD, case.id, clocks.award_period(body.on))
    return case


def _award_items(body: Award) -> list[dict[str, Any]]:
    """Each item judged on its own (art. 47; 法释〔2020〕26号): its kind and the amount awarded."""
    kinds = rules.award_item_kinds(body.awarded_on)
    limit = clocks.award_final_limit_fen(body.awarded_on)
    items = []
    for item in body.items:
        if item.kind not in kinds:
            raise Unprocessable(
                f"Unknown kind of award item {item.kind!r} (one of {', '.join(kinds)})", slug="unknown-award-item-kind"
            )
        if kinds[item.kind] == "final_up_to_limit" and item.amount_fen is None:
            raise Unprocessable(f"An award item of kind {item.kind} states its amount", slug="award-item-amount")
        finality = rules.item_finality(item.kind, item.amount_fen, limit, body.awarded_on)
        items.append({**item.model_dump(), "final": finality.final, "basis": finality.basis})
    return items


async def award(session: AsyncSession, case: Case, body: Award) -> Case:
    accepted_on = _require_running_arbitration(case)
    if body.awarded_on < accepted_on:
        raise Unprocessable(
            f"An award ({body.awarded_on}) cannot precede the acceptance ({accepted_on})",
            slug="award-before-acceptance",
        )
    _not_in_future(body.awarded_on, "awarded_on")
    if case.suspended:
        raise Conflict("The arbitration is suspended; resume it before the award", slug="arbitration-suspended")
    await _stop(session, clocks.ARBITRATION_AWARD, case, body.awarded_on)
    case.awarded_on = body.awarded_on
    if body.items is None:  # the deprecated total: no items, so no finality judged (as a department's outcome)
        case.award_items, case.award_amount_fen, case.award_final = None, body.amount_fen, None
    else:
        items = _award_items(body)
        case.award_items, case.award_amount_fen = items, sum(i["amount_fen"] or 0 for i in items)
        case.award_final = rules.award_final([i["final"] for i in items])
    case.closed_at = now()
    _move(session, case, "awarded", "awarded")
    return case


async def request_legal_aid(session: AsyncSession, case: Case) -> Case:
    if case.legal_aid_requested_at is not None:
        raise Conflict("Legal aid was already requested for this case", slug="legal-aid-requested")
    at = now()
    case.legal_aid_requested_at = at
    record(
        session,
        LegalAidRequested(
            case_id=case.id,
            worker_id=case.worker_id,
            platform_id=case.platform_id,
            category=case.category,
            district=case.district,
            requested_at=at,
        ),
    )
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
    mediator = Mediator(
        id=new_id("med"),
        name=body.name,
        organisation=body.organisation,
        source=body.source,
        specialties=list(body.specialties),
        rosters=sorted(set(body.rosters)),
        conflicts=list(body.conflicts),
        term_from=body.term_from,
        term_until=body.term_until,
        active=True,
        created_at=at,
        updated_at=at,
    )
    session.add(mediator)
    return mediator


async def update_mediator(
    session: AsyncSession, mediator: Mediator, body: MediatorUpdate
) -> tuple[Mediator, list[Reassignment]]:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("specialties") is not None:
        _check_specialties(changes["specialties"])
    if changes.get("term_until") is not None and changes["term_until"] < mediator.term_from:
        raise Unprocessable("term_until is before the term started", slug="term-before-start")
    for name, value in changes.items():
        if value is not None:
            setattr(mediator, name, sorted(set(value)) if name == "rosters" else value)
    mediator.updated_at = now()
    return mediator, await _reassign_cases_of(session, mediator)


async def _reassign_cases_of(session: AsyncSession, mediator: Mediator) -> list[Reassignment]:
    """M18 (the roster kept current): a mediator who no longer fits an open case of theirs (deactivated,
    term ended, a conflict now known) leaves it; the best fit takes it over at once. With no one fit,
    the case is flagged and a mediation body must assign one within the policy's working days
    (`disputes.mediator_reassignment` clock; if it runs out, a finding about the body)."""
    on = today()
    rows = (
        (
            await session.execute(
                select(Case)
                .where(Case.mediator_id == mediator.id, Case.stage.in_(OPEN_MEDIATION))
                .order_by(Case.id)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    done: list[Reassignment] = []
    for case in rows:
        if _unfit(mediator, case, on) is None:
            continue
        successor = await _best_mediator(session, case, on, excluding=mediator.id)
        if successor is not None:
            case.mediator_id, case.mediator_needed_since = successor.id, None
            await session.flush()  # the next case's choice counts this one's load
            done.append(Reassignment(case_id=case.id, mediator_id=successor.id))
            continue
        period = clocks.mediator_reassignment_period(on)
        case.mediator_id, case.mediator_needed_since = None, on
        await _start(session, clocks.MEDIATOR_REASSIGNMENT, case.id, period)
        done.append(Reassignment(case_id=case.id, mediator_id=None, needed_by=period.last_day))
    return done


# ---------------------------------------------------------------------------------------------
# Clocks that run out (fired once by the kit's deadline worker; finding and event in its transaction)
# ---------------------------------------------------------------------------------------------
def _expired(deadline: Deadline, platform_id: str, worker_id: str, finding: FindingRef | None) -> ClockExpired:
    return ClockExpired(
        kind=deadline.kind,
        subject_id=deadline.subject_id,
        platform_id=platform_id,
        worker_id=worker_id,
        due_at=deadline.due_at,
        finding_id=finding.finding_id if finding else None,
    )


async def on_reply_overdue(session: AsyncSession, deadline: Deadline) -> None:
    complaint = await session.get(Complaint, deadline.subject_id, with_for_update=True)
    if complaint is None or complaint.status != "awaiting_reply":
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
    record(session, _expired(deadline, complaint.platform_id, complaint.worker_id, finding))


async def _case_of(session: AsyncSession, deadline: Deadline, stage: str | Sequence[str]) -> Case | None:
    case = await session.get(Case, deadline.subject_id, with_for_update=True)
    stages = (stage,) if isinstance(stage, str) else tuple(stage)
    return case if case is not None and case.stage in stages else None


async def _case_finding(session: AsyncSession, case: Case, spec, deadline: Deadline) -> FindingRef:
    return await raise_finding(
        session,
        spec,
        subject_type="case",
        subject_id=case.id,
        platform_id=case.platform_id,
        enterprise_id=case.enterprise_id,
        worker_id=case.worker_id,
        occupation=case.occupation,
        district=case.district,
        observed_at=deadline.due_at,
    )


async def _body_finding(session: AsyncSession, case: Case, spec, deadline: Deadline, body: str) -> FindingRef:
    """A finding about a dispute body's own lateness: its subject is the body (on this case), it names
    the department that answers for it (`evidence.responsible_department`), and no platform or
    enterprise — the parties did nothing wrong, and the platform's webhooks never hear of it."""
    return await raise_finding(
        session,
        spec,
        subject_type=body,
        subject_id=case.id,
        worker_id=case.worker_id,
        occupation=case.occupation,
        district=case.district,
        observed_at=deadline.due_at,
    )


async def on_mediation_acceptance_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "received")
    if case is None or case.received_on is None:
        return
    spec = rules.mediation_acceptance_overdue(case.received_on, _last_day(deadline), mediation_department(case))
    record(
        session,
        _expired(
            deadline,
            case.platform_id,
            case.worker_id,
            await _body_finding(session, case, spec, deadline, rules.MEDIATION_BODY),
        ),
    )


async def on_mediation_limit(session: AsyncSession, deadline: Deadline) -> None:
    """No agreement in time: the case becomes eligible for arbitration (or the court), and the
    worker is told by its stage and the event. Not a breach: no finding."""
    case = await _case_of(session, deadline, "mediating")
    if case is None:
        return
    case.outcome, case.outcome_at = "no_agreement", deadline.due_at
    await deadlines.cancel(session, clocks.MEDIATOR_REASSIGNMENT, case.id)
    _move(session, case, "no_agreement", "mediation_limit_passed", deadline.due_at)
    record(session, _expired(deadline, case.platform_id, case.worker_id, None))


async def on_mediator_not_reassigned(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, OPEN_MEDIATION)
    if case is None or case.mediator_id is not None or case.mediator_needed_since is None:
        return
    spec = rules.mediator_not_reassigned(case.mediator_needed_since, _last_day(deadline), mediation_department(case))
    record(
        session,
        _expired(
            deadline,
            case.platform_id,
            case.worker_id,
            await _body_finding(session, case, spec, deadline, rules.MEDIATION_BODY),
        ),
    )


async def on_agreement_unfulfilled(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "agreement")
    if case is None or case.fulfil_by is None:
        return
    finding = await _case_finding(
        session, case, rules.agreement_unfulfilled(case.fulfil_by, case.agreement_amount_fen), deadline
    )
    record(session, _expired(deadline, case.platform_id, case.worker_id, finding))


async def on_acceptance_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "arbitration_requested")
    if case is None or case.arbitration_received_on is None:
        return
    spec = rules.arbitration_acceptance_overdue(
        case.arbitration_received_on, _last_day(deadline), ARBITRATION_BODIES[0]
    )
    record(
        session,
        _expired(
            deadline,
            case.platform_id,
            case.worker_id,
            await _body_finding(session, case, spec, deadline, rules.ARBITRATION_COMMITTEE),
        ),
    )


async def on_award_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await _case_of(session, deadline, "arbitration_accepted")
    if case is None or case.arbitration_accepted_on is None:
        return
    spec = rules.award_overdue(
        case.arbitration_accepted_on, _last_day(deadline), case.award_extension_days, ARBITRATION_BODIES[0]
    )
    record(
        session,
        _expired(
            deadline,
            case.platform_id,
            case.worker_id,
            await _body_finding(session, case, spec, deadline, rules.ARBITRATION_COMMITTEE),
        ),
    )


#: Clocks this service runs (`kind` → handler), fired by the kit's deadline worker.
DEADLINE_HANDLERS: dict[str, DeadlineHandler] = {
    clocks.COMPLAINT_REPLY: on_reply_overdue,
    clocks.MEDIATION_ACCEPTANCE: on_mediation_acceptance_overdue,
    clocks.MEDIATION_LIMIT: on_mediation_limit,
    clocks.MEDIATOR_REASSIGNMENT: on_mediator_not_reassigned,
    clocks.AGREEMENT_FULFILMENT: on_agreement_unfulfilled,
    clocks.ARBITRATION_ACCEPTANCE: on_acceptance_overdue,
    clocks.ARBITRATION_AWARD: on_award_overdue,
}
