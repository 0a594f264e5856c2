"""Mediation's use cases (M18): acceptance, the mediator, sessions, extension, outcome, withdrawal,
fulfilment and legal aid — rules + state change + outbox record + clocks, in the request's
transaction (never commits) — and what happens when a mediation clock runs out.

Every check runs before the first write, and a request that fails anyway is rolled back whole by
the request's session: nothing is half-stored.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.auth import Principal, Role
from newform_common.deadlines import Deadline, end_of_business_day
from newform_common.errors import Conflict, NotFound, Unprocessable
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date

from .. import clocks, timers
from .. import rules as catalogue
from ..events import LegalAidRequested
from ..models import OPEN_MEDIATION, Case, CaseStage, MediationSession
from ..roster import repository as roster_repository
from ..roster import rules as roster_rules
from ..roster.service import best_mediator
from ..shared import MEDIATION_BODIES, clock_expired, not_in_future, now, reject, require_body, today
from . import rules
from .lifecycle import body_finding, case_finding, case_of, mediation_department, move
from .schemas import Acceptance, Assignment, MediationExtension, Outcome, SessionCreate


def require_mediation_actor(principal: Principal, case: Case) -> None:
    """The mediator assigned, or a mediation body."""
    if principal.role == Role.mediator and case.mediator_id == principal.subject:
        return
    require_body(principal, MEDIATION_BODIES)


async def accept_for_mediation(
    session: AsyncSession, case: Case, body: Acceptance, principal: Principal | None = None
) -> Case:
    if case.stage != CaseStage.received or case.received_on is None:
        raise Conflict(f"The case is {case.stage}; only a received case is accepted", slug="case-not-received")
    accepted_on = body.accepted_on or today()
    not_in_future(accepted_on, "accepted_on")
    if accepted_on < case.received_on:
        raise Unprocessable("A case cannot be accepted before it was received", slug="accepted-before-received")
    if principal is not None and principal.role == Role.department and principal.department in MEDIATION_BODIES:
        case.mediation_body = principal.department  # the body that accepted it answers for it from now on
    await timers.stop(session, clocks.MEDIATION_ACCEPTANCE, case.id, accepted_on, on_mediation_acceptance_overdue)
    case.accepted_on = accepted_on
    await timers.start(session, clocks.MEDIATION_LIMIT, case.id, clocks.mediation_limit_period(accepted_on))
    move(session, case, CaseStage.mediating, "accepted")
    return case


async def assign_mediator(session: AsyncSession, case: Case, body: Assignment) -> Case:
    """By the mediator named, or the best fit (`roster.service.best_mediator`)."""
    if case.stage not in OPEN_MEDIATION:
        raise Conflict(f"The case is {case.stage}; mediators are assigned to open mediations", slug="case-not-open")
    on = today()
    if body.mediator_id is not None:
        mediator = await roster_repository.mediator(session, body.mediator_id)
        if mediator is None:
            raise NotFound(f"No mediator {body.mediator_id!r}")
        reason = roster_rules.unfit(mediator, case, on)
        if reason:
            raise Conflict(f"Mediator {mediator.id} {reason}", slug="mediator-unfit")
    else:
        mediator = await best_mediator(session, case, on)
        if mediator is None:
            raise Conflict("No active mediator on the roster fits this case", slug="no-mediator")
    case.mediator_id, case.mediator_needed_since = mediator.id, None
    await deadlines.cancel(session, clocks.MEDIATOR_REASSIGNMENT, case.id)
    return case


async def record_session(session: AsyncSession, case: Case, principal: Principal, body: SessionCreate) -> Case:
    if case.stage != CaseStage.mediating:
        raise Conflict(f"The case is {case.stage}; sessions are held while mediating", slug="case-not-mediating")
    if case.mediator_id is None:
        raise Conflict("No mediator is assigned", slug="no-mediator-assigned")
    not_in_future(body.held_on, "held_on")
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
    if case.stage != CaseStage.mediating or case.accepted_on is None:
        raise Conflict(f"The case is {case.stage}; only a running mediation is extended", slug="case-not-mediating")
    reject(
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
    await timers.extend(
        session, clocks.MEDIATION_LIMIT, case.id, body.days, clocks.mediation_limit_period(case.accepted_on, body.days)
    )
    return case


async def end_mediation(session: AsyncSession, case: Case, body: Outcome) -> Case:
    if case.stage == CaseStage.withdrawn:
        raise Conflict("The worker withdrew this case; it takes no outcome", slug="case-withdrawn")
    if case.stage != CaseStage.mediating:
        raise Conflict(
            f"The case is {case.stage}; only a running mediation ends with an outcome", slug="case-not-mediating"
        )
    at = now()
    day = body.on or business_date(at)
    not_in_future(day, "on")
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
        await timers.start_on(session, clocks.AGREEMENT_FULFILMENT, case.id, body.fulfil_by)
    case.outcome, case.outcome_at = body.outcome, at
    await end_mediation_clocks(session, case)
    move(session, case, CaseStage(body.outcome), body.outcome, at)
    return case


async def end_mediation_clocks(session: AsyncSession, case: Case) -> None:
    await deadlines.cancel(session, clocks.MEDIATION_LIMIT, case.id)
    await deadlines.cancel(session, clocks.MEDIATOR_REASSIGNMENT, case.id)


async def withdraw(session: AsyncSession, case: Case) -> Case:
    """The worker leaves mediation (voluntary, art. 5): arbitration or the court are open at once."""
    if case.stage not in OPEN_MEDIATION:
        raise Conflict(f"The case is {case.stage}; only an open mediation can be withdrawn", slug="case-not-open")
    at = now()
    case.outcome, case.outcome_at, case.closed_at = "withdrawal", at, at
    await timers.stop(session, clocks.MEDIATION_ACCEPTANCE, case.id, business_date(at), on_mediation_acceptance_overdue)
    await end_mediation_clocks(session, case)
    move(session, case, CaseStage.withdrawn, "withdrawal", at)
    return case


async def fulfil(session: AsyncSession, case: Case, fulfilled_on: date | None) -> Case:
    if case.stage != CaseStage.agreement:
        raise Conflict(f"The case is {case.stage}; only an agreement is fulfilled", slug="no-agreement")
    day = fulfilled_on or today()
    not_in_future(day, "fulfilled_on")
    if case.outcome_at and day < business_date(case.outcome_at):
        raise Unprocessable("An agreement cannot be fulfilled before it was made", slug="fulfilled-before-agreement")
    case.fulfilled_on, case.closed_at = day, now()
    await deadlines.cancel(session, clocks.AGREEMENT_FULFILMENT, case.id)
    move(session, case, CaseStage.fulfilled, "fulfilled")
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


# Clocks that run out (fired once by the kit's deadline worker; finding and event in its transaction).
async def on_mediation_acceptance_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await case_of(session, deadline, (CaseStage.received,))
    if case is None or case.received_on is None:
        return
    spec = rules.mediation_acceptance_overdue(
        case.received_on, clocks.last_day_of(deadline), mediation_department(case)
    )
    finding = await body_finding(session, case, spec, deadline, catalogue.MEDIATION_BODY)
    record(session, clock_expired(deadline, case.platform_id, case.worker_id, finding))


async def on_mediation_limit(session: AsyncSession, deadline: Deadline) -> None:
    """No agreement in time: the case becomes eligible for arbitration (or the court), and the
    worker is told by its stage and the event. Not a breach: no finding."""
    case = await case_of(session, deadline, (CaseStage.mediating,))
    if case is None:
        return
    case.outcome, case.outcome_at = "no_agreement", deadline.due_at
    await deadlines.cancel(session, clocks.MEDIATOR_REASSIGNMENT, case.id)
    move(session, case, CaseStage.no_agreement, "mediation_limit_passed", deadline.due_at)
    record(session, clock_expired(deadline, case.platform_id, case.worker_id, None))


async def on_mediator_not_reassigned(session: AsyncSession, deadline: Deadline) -> None:
    case = await case_of(session, deadline, tuple(OPEN_MEDIATION))
    if case is None or case.mediator_id is not None or case.mediator_needed_since is None:
        return
    spec = rules.mediator_not_reassigned(
        case.mediator_needed_since, clocks.last_day_of(deadline), mediation_department(case)
    )
    finding = await body_finding(session, case, spec, deadline, catalogue.MEDIATION_BODY)
    record(session, clock_expired(deadline, case.platform_id, case.worker_id, finding))


async def on_agreement_unfulfilled(session: AsyncSession, deadline: Deadline) -> None:
    case = await case_of(session, deadline, (CaseStage.agreement,))
    if case is None or case.fulfil_by is None:
        return
    finding = await case_finding(
        session, case, rules.agreement_unfulfilled(case.fulfil_by, case.agreement_amount_fen), deadline
    )
    record(session, clock_expired(deadline, case.platform_id, case.worker_id, finding))
