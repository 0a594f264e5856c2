"""Awards and judgments the departments record (`departments.case_outcome.recorded.v1`, M18): the
verified fact of how a case ended settles it, from whatever stage it was in."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines

from .. import clocks, timers
from ..cases import lifecycle
from ..cases import repository as cases_repository
from ..consumed import CaseOutcomeRecorded
from ..models import Case, CaseStage
from ..shared import now
from .service import on_award_overdue

#: forum → outcome → the stage the case reaches. An arbitration that ends in an award (upheld,
#: partly upheld, dismissed) is `awarded`; one settled by the committee's mediation `settled`; one
#: withdrawn `withdrawn`. A court's judgment, whatever it holds, is `judged`.
DECISION_STAGES: dict[str, dict[str, CaseStage]] = {
    "arbitration": {
        "upheld": CaseStage.awarded,
        "partly_upheld": CaseStage.awarded,
        "dismissed": CaseStage.awarded,
        "settled": CaseStage.settled,
        "withdrawn": CaseStage.withdrawn,
    },
    "court": {
        "upheld": CaseStage.judged,
        "partly_upheld": CaseStage.judged,
        "dismissed": CaseStage.judged,
        "settled": CaseStage.judged,
        "withdrawn": CaseStage.judged,
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


async def record_case_outcome(session: AsyncSession, event: CaseOutcomeRecorded) -> None:
    """M18: an award (hrss) or a judgment (court) recorded by the departments is the verified fact of
    how the case named by `dispute_id` ended: its state, its amount and its reference number. A
    statement about someone else's case (another worker) or an older version is ignored."""
    stage = DECISION_STAGES.get(event.forum, {}).get(event.outcome)
    if event.dispute_id is None or stage is None:
        return
    case = await cases_repository.lock_case(session, event.dispute_id)
    if case is None or (event.worker_id is not None and event.worker_id != case.worker_id):
        return  # not ours, or a reference to the wrong worker's case: never settle it
    if case.decision_reference == event.reference and (case.decision_version or 0) >= event.version:
        return  # a statement we applied already
    await _apply_decision(session, case, event, stage)


async def _apply_decision(session: AsyncSession, case: Case, event: CaseOutcomeRecorded, stage: CaseStage) -> None:
    # A late award still shows the committee's lateness; every other clock simply stops.
    if event.forum == "arbitration" and case.stage == CaseStage.arbitration_accepted:
        await timers.stop(session, clocks.ARBITRATION_AWARD, case.id, event.decided_on, on_award_overdue)
    for kind in CLOCK_KINDS:
        await deadlines.cancel(session, kind, case.id)
    case.decision_forum, case.decision_outcome = event.forum, event.outcome
    case.decision_reference, case.decision_version = event.reference, event.version
    case.decided_on, case.decision_amount_fen = event.decided_on, event.awarded_fen
    if stage == CaseStage.awarded:
        # The fact states one amount, not the award's items: finality (art. 47) is not judged from it.
        if case.award_items is None or case.awarded_on != event.decided_on:
            case.award_items, case.award_final = None, None
        case.awarded_on, case.award_amount_fen = event.decided_on, event.awarded_fen
    case.suspended, case.closed_at = False, case.closed_at or now()
    if case.stage != stage:
        lifecycle.move(session, case, stage, f"{event.forum}_outcome_recorded")
