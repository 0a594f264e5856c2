"""A case's life that mediation, arbitration and the complaints share: opening it, moving its stage
(the one place `CASE_ALLOWED` is checked and `disputes.case.stage_changed` recorded), the findings it
raises and the case a clock that ran out is about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.deadlines import Deadline
from newform_common.findings import FindingRef, FindingSpec, raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date
from newform_common.states import require_transition

from .. import clocks, timers
from ..events import STAGES_V1, CaseStageChanged, CaseStageChangedV1
from ..models import CASE_ALLOWED, Case, CaseStage
from ..schemas import Claim
from ..shared import DEFAULT_MEDIATION_BODY, now
from . import repository, rules


def record_stage(session: AsyncSession, case: Case, previous: str | None, reason: str, at: datetime) -> None:
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


def move(
    session: AsyncSession, case: Case, to: CaseStage, reason: str, at: datetime | None = None, *, opened: bool = False
) -> None:
    """The case moves to `to` (allowed from its stage: `CASE_ALLOWED`), and says so. `opened`: the case
    was opened by this very move (its event names no previous stage)."""
    require_transition(CASE_ALLOWED, case.stage, to, "case")
    previous = None if opened else case.stage
    case.stage = to
    record_stage(session, case, previous, reason, at or now())


async def new_case(
    session: AsyncSession,
    worker_id: str,
    at: datetime,
    *,
    claims: Sequence[Claim],
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
        stage=CaseStage.received,
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
        await timers.start(
            session, clocks.MEDIATION_ACCEPTANCE, case.id, clocks.mediation_acceptance_period(received_on), at=at
        )
        record_stage(session, case, None, "opened", at)
    return case


async def raise_misclassification(session: AsyncSession, case: Case) -> list[FindingRef]:
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


def mediation_department(case: Case) -> str:
    """The department that answers for the case's mediation body (its lateness is routed there)."""
    return case.mediation_body or DEFAULT_MEDIATION_BODY


async def case_of(session: AsyncSession, deadline: Deadline, stages: Sequence[str]) -> Case | None:
    """The case a clock that ran out is about, locked, if it is still at one of `stages`."""
    case = await repository.lock_case(session, deadline.subject_id)
    return case if case is not None and case.stage in stages else None


async def case_finding(session: AsyncSession, case: Case, spec: FindingSpec, deadline: Deadline) -> FindingRef:
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


async def body_finding(
    session: AsyncSession, case: Case, spec: FindingSpec, deadline: Deadline, body: str
) -> FindingRef:
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
