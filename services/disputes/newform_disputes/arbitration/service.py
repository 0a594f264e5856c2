"""Arbitration's and the court route's use cases (M18): rules + state change + outbox record + clocks,
in the request's transaction (never commits), and what happens when an arbitration clock runs out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.deadlines import Deadline
from newform_common.errors import Conflict, Unprocessable
from newform_common.outbox import record
from newform_common.policy import business_date

from .. import clocks, timers
from .. import rules as catalogue
from ..cases import lifecycle
from ..cases.schemas import Acceptance
from ..cases.service import end_mediation_clocks, on_mediation_acceptance_overdue
from ..complaints import repository as complaints_repository
from ..models import OPEN_MEDIATION, Case, CaseStage
from ..shared import ARBITRATION_BODIES, clock_expired, not_in_future, now, reject, today
from . import rules
from .schemas import ArbitrationApplication, ArbitrationRefusal, ArbitrationRestart, Award


async def _limitation_interruptions(session: AsyncSession, case: Case, body: ArbitrationApplication) -> list[date]:
    """Art. 27(2): the worker's complaint to the platform (asserting the right against it), the
    mediation application (asking a body for relief) and any listed off-system act."""
    days = list(body.interrupted_on)
    if case.received_on is not None:
        days.append(case.received_on)
    if case.complaint_id is not None:
        complaint = await complaints_repository.complaint(session, case.complaint_id)
        if complaint is not None:
            days.append(business_date(complaint.filed_at))
    return days


async def apply_for_arbitration(session: AsyncSession, case: Case, body: ArbitrationApplication) -> Case:
    received_on = body.received_on or today()
    if not rules.eligible_for_arbitration(case, received_on):
        opens = rules.arbitration_open_from(case)
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
    return await apply(session, case, body, reason="applied")


async def apply(
    session: AsyncSession, case: Case, body: ArbitrationApplication, *, reason: str, opened: bool = False
) -> Case:
    """The application itself (limitation, leaving mediation, the acceptance clock); `opened`: the case
    was opened for it, without mediation (`reason` applied_without_mediation)."""
    reject(rules.arbitration_track_violation(case.track, case.misclassification_question))
    received_on = body.received_on or today()
    not_in_future(received_on, "received_on")
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
        await timers.stop(session, clocks.MEDIATION_ACCEPTANCE, case.id, received_on, on_mediation_acceptance_overdue)
        await end_mediation_clocks(session, case)
        case.outcome, case.outcome_at = case.outcome or "arbitration", case.outcome_at or now()
    case.closed_at = None
    await deadlines.cancel(session, clocks.AGREEMENT_FULFILMENT, case.id)
    await timers.start(
        session, clocks.ARBITRATION_ACCEPTANCE, case.id, clocks.arbitration_acceptance_period(received_on)
    )
    lifecycle.move(session, case, CaseStage.arbitration_requested, reason, now(), opened=opened)
    return case


async def refer_to_court(session: AsyncSession, case: Case) -> Case:
    """To the court: a work agreement or civil dispute out of mediation; any dispute the committee
    refused or did not decide in time (art. 29), or did not award in time (art. 43)."""
    if not rules.court_route_open(case, await deadlines.of_subject(session, case.id)):
        if case.track != "people_mediation_court" and case.stage not in (
            CaseStage.arbitration_requested,
            CaseStage.arbitration_accepted,
        ):
            raise Conflict("A labour relationship goes to labour arbitration first", slug="arbitration-first")
        raise Conflict(f"The case is {case.stage}: the court route is not open", slug="not-eligible-for-court")
    case.closed_at = now()
    for kind in (clocks.AGREEMENT_FULFILMENT, clocks.ARBITRATION_ACCEPTANCE, clocks.ARBITRATION_AWARD):
        await deadlines.cancel(session, kind, case.id)
    lifecycle.move(session, case, CaseStage.court_referred, "court_referral")
    return case


def _check_decision_day(case: Case, day: date, what: str) -> None:
    not_in_future(day, what)
    assert case.arbitration_received_on is not None
    if day < case.arbitration_received_on:
        raise Unprocessable(
            f"The committee cannot decide ({what}) before the application was received",
            slug=f"{what.split('_')[0]}-before-received",
        )


async def accept_arbitration(session: AsyncSession, case: Case, body: Acceptance) -> Case:
    if case.stage != CaseStage.arbitration_requested:
        raise Conflict(f"The case is {case.stage}; only an application is accepted", slug="no-application")
    accepted_on = body.accepted_on or today()
    _check_decision_day(case, accepted_on, "accepted_on")
    await timers.stop(session, clocks.ARBITRATION_ACCEPTANCE, case.id, accepted_on, on_acceptance_overdue)
    case.arbitration_accepted_on = accepted_on
    await timers.start(session, clocks.ARBITRATION_AWARD, case.id, clocks.award_period(accepted_on))
    lifecycle.move(session, case, CaseStage.arbitration_accepted, "accepted")
    return case


async def refuse_arbitration(session: AsyncSession, case: Case, body: ArbitrationRefusal) -> Case:
    """The committee's written refusal (不予受理, art. 29): in time it is no breach; the worker may
    take the dispute to the court."""
    if case.stage != CaseStage.arbitration_requested:
        raise Conflict(f"The case is {case.stage}; only an application is refused", slug="no-application")
    _check_decision_day(case, body.refused_on, "refused_on")
    await timers.stop(session, clocks.ARBITRATION_ACCEPTANCE, case.id, body.refused_on, on_acceptance_overdue)
    case.arbitration_refused_on, case.arbitration_refusal_reason = body.refused_on, body.reason
    lifecycle.move(session, case, CaseStage.arbitration_refused, "refused")
    return case


def _require_running_arbitration(case: Case) -> date:
    if case.stage != CaseStage.arbitration_accepted or case.arbitration_accepted_on is None:
        raise Conflict(f"The case is {case.stage}; no arbitration is running", slug="no-arbitration")
    return case.arbitration_accepted_on


async def extend_award_limit(session: AsyncSession, case: Case, days: int) -> Case:
    accepted_on = _require_running_arbitration(case)
    reject(clocks.award_extension_violation(accepted_on, days, already_extended=case.award_extension_days > 0))
    if await deadlines.live(session, clocks.ARBITRATION_AWARD, case.id) is None:
        raise Conflict("The award limit has already run out", slug="no-clock")
    case.award_extension_days = days
    # The period lengthened, counted again by the period rule (a suspension already counted stays).
    await timers.extend(
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
    not_in_future(body.on, "on")
    if case.suspended:
        raise Conflict("The arbitration is suspended; resume it first", slug="arbitration-suspended")
    if body.claims is not None:
        case.claims = [c.model_dump() for c in body.claims]
        case.claims_total_fen = sum(c.amount_fen for c in body.claims)
    await timers.start(session, clocks.ARBITRATION_AWARD, case.id, clocks.award_period(body.on))
    return case


def _award_items(body: Award) -> list[dict[str, Any]]:
    """Each item judged on its own (art. 47; 法释〔2020〕26号): its kind and the amount awarded."""
    kinds = rules.award_item_kinds(body.awarded_on)
    limit = clocks.award_final_limit_fen(body.awarded_on)
    items = []
    for item in body.items or ():
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
    not_in_future(body.awarded_on, "awarded_on")
    if case.suspended:
        raise Conflict("The arbitration is suspended; resume it before the award", slug="arbitration-suspended")
    await timers.stop(session, clocks.ARBITRATION_AWARD, case.id, body.awarded_on, on_award_overdue)
    case.awarded_on = body.awarded_on
    if body.items is None:  # the deprecated total: no items, so no finality judged (as a department's outcome)
        case.award_items, case.award_amount_fen, case.award_final = None, body.amount_fen, None
    else:
        items = _award_items(body)
        case.award_items, case.award_amount_fen = items, sum(i["amount_fen"] or 0 for i in items)
        case.award_final = rules.award_final([i["final"] for i in items])
    case.closed_at = now()
    lifecycle.move(session, case, CaseStage.awarded, "awarded")
    return case


# Clocks that run out (fired once by the kit's deadline worker; finding and event in its transaction).
async def on_acceptance_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await lifecycle.case_of(session, deadline, (CaseStage.arbitration_requested,))
    if case is None or case.arbitration_received_on is None:
        return
    spec = rules.arbitration_acceptance_overdue(
        case.arbitration_received_on, clocks.last_day_of(deadline), ARBITRATION_BODIES[0]
    )
    finding = await lifecycle.body_finding(session, case, spec, deadline, catalogue.ARBITRATION_COMMITTEE)
    record(session, clock_expired(deadline, case.platform_id, case.worker_id, finding))


async def on_award_overdue(session: AsyncSession, deadline: Deadline) -> None:
    case = await lifecycle.case_of(session, deadline, (CaseStage.arbitration_accepted,))
    if case is None or case.arbitration_accepted_on is None:
        return
    spec = rules.award_overdue(
        case.arbitration_accepted_on, clocks.last_day_of(deadline), case.award_extension_days, ARBITRATION_BODIES[0]
    )
    finding = await lifecycle.body_finding(session, case, spec, deadline, catalogue.ARBITRATION_COMMITTEE)
    record(session, clock_expired(deadline, case.platform_id, case.worker_id, finding))
