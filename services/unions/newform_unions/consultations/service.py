"""Use cases of consultation on platform rules (M10; 劳动合同法 art. 4; 宁政办〔2022〕41号 item 10).

The union records its request on a platform's rule topic (optionally naming the published version it
asks to reconsider); the platform's reply runs on a clock (`unions.consultation.reply_days`, counted by
the kit's calendar from the day after the request). Rule versions come from contracts'
`rule_notice.published`: one published while a covering union's consultation on that topic has no
outcome is a finding (rules.published_during_consultation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import deadlines
from newform_common.auth import Principal, Role
from newform_common.deadlines import Deadline, DeadlinePublic
from newform_common.errors import Conflict, Forbidden, NotFound
from newform_common.findings import raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.states import require_transition

from .. import events as ev
from .. import repository as repo
from .. import rules
from ..dates import last_day, not_before, now, refuse_if, require_past
from ..models import ALLOWED_CONSULTATION, Consultation, ConsultationStatus, RuleVersion
from ..organisations.service import require_union_department
from ..schemas import ConsultationCreate, ConsultationOutcome, ConsultationPublic, ConsultationReply, OpinionCreate

#: The platform's reply clock on a union's request (subject: the consultation).
REPLY_CLOCK = "unions.consultation.reply"


def _facts(c: Consultation) -> dict:
    return {
        "consultation_id": c.id,
        "union_id": c.union_id,
        "platform_id": c.platform_id,
        "topic": c.topic,
        "base_version": c.base_version,
        "status": c.status,
        "requested_on": c.requested_on,
        "at": now(),
    }


def _move(c: Consultation, to: ConsultationStatus) -> None:
    require_transition(ALLOWED_CONSULTATION, c.status, to, "consultation")
    c.status = to


async def public(session: AsyncSession, c: Consultation) -> ConsultationPublic:
    view = ConsultationPublic.model_validate(c)
    clock = await deadlines.live(session, REPLY_CLOCK, c.id, for_update=False)
    view.reply_clock = DeadlinePublic.of(clock) if clock else None
    return view


def _open_request(c: Consultation) -> rules.OpenRequest:
    return rules.OpenRequest(c.id, c.union_id, c.base_version, c.requested_on, c.concluded_on)


def _published(v: RuleVersion) -> rules.PublishedVersion:
    return rules.PublishedVersion(v.notice_id, v.platform_id, v.topic, v.version, v.published_on)


async def _raise_published(session: AsyncSession, c: Consultation, v: RuleVersion) -> None:
    spec = rules.published_during_consultation(_open_request(c), _published(v))
    if spec is not None:
        await raise_finding(
            session, spec, subject_type="rule_version", subject_id=v.notice_id, platform_id=v.platform_id
        )


async def request(session: AsyncSession, principal: Principal, body: ConsultationCreate) -> Consultation:
    require_union_department(principal)
    require_past("requested_on", body.requested_on)
    union = await repo.union(session, body.union_id)
    if union is None:
        raise NotFound(f"No union {body.union_id!r}")
    refuse_if(rules.union_covers(union.kind, union.platform_ids, [], body.platform_id, None))
    c = Consultation(
        id=new_id("cns"),
        union_id=union.id,
        platform_id=body.platform_id,
        topic=body.topic,
        base_version=body.base_version,
        subject=body.subject,
        status=ConsultationStatus.requested,
        requested_on=body.requested_on,
        reply_due_on=body.requested_on,
        opinions=[],
        created_at=now(),
    )
    session.add(c)
    clock = await deadlines.schedule_period(
        session, REPLY_CLOCK, c.id, start=body.requested_on, days=rules.reply_days(body.requested_on)
    )
    c.reply_due_on = last_day(clock)
    # Versions already known that were published during the request (the request entered late).
    for v in await repo.rule_versions(session, c.platform_id, c.topic):
        await _raise_published(session, c, v)
    record(session, ev.ConsultationRequested(**_facts(c), reply_due_on=c.reply_due_on))
    return c


async def reply(
    session: AsyncSession, principal: Principal, consultation_id: str, body: ConsultationReply
) -> Consultation:
    c = await repo.visible_consultation(session, principal, consultation_id, for_update=True)
    if principal.role not in (Role.platform, Role.enterprise, Role.admin):
        raise Forbidden("The platform replies to the union's request")
    require_past("replied_on", body.replied_on)
    not_before("replied_on", body.replied_on, c.requested_on, "the request of")
    _move(c, ConsultationStatus.replied)
    c.replied_on, c.reply = body.replied_on, body.reply
    await deadlines.cancel(session, REPLY_CLOCK, c.id)  # a late reply keeps the finding the clock raised
    record(session, ev.ConsultationReplied(**_facts(c), replied_on=body.replied_on))
    return c


async def add_opinion(
    session: AsyncSession, principal: Principal, consultation_id: str, body: OpinionCreate
) -> Consultation:
    c = await repo.visible_consultation(session, principal, consultation_id, for_update=True)
    if principal.role in (Role.platform, Role.enterprise):
        by = "platform"
    else:
        require_union_department(principal)
        by = "union"
    require_past("on", body.on)
    not_before("on", body.on, c.requested_on, "the request of")
    if c.status == ConsultationStatus.concluded:
        raise Conflict(f"Consultation {c.id} is concluded ({c.outcome}): no more opinions")
    c.opinions = [*c.opinions, {"by": by, "on": body.on.isoformat(), "text": body.text}]
    return c


async def conclude(
    session: AsyncSession, principal: Principal, consultation_id: str, body: ConsultationOutcome
) -> Consultation:
    require_union_department(principal)
    c = await repo.visible_consultation(session, principal, consultation_id, for_update=True)
    require_past("concluded_on", body.concluded_on)
    not_before("concluded_on", body.concluded_on, c.replied_on or c.requested_on, "the reply of")
    _move(c, ConsultationStatus.concluded)
    c.outcome, c.concluded_on = body.outcome, body.concluded_on
    record(session, ev.ConsultationConcluded(**_facts(c), outcome=body.outcome, concluded_on=body.concluded_on))
    return c


async def reply_overdue(session: AsyncSession, deadline: Deadline) -> None:
    """The reply clock ran out: a request still unanswered is a finding (M10)."""
    c = await repo.consultation(session, deadline.subject_id, for_update=True)
    if c is None or c.status != ConsultationStatus.requested:
        return
    spec = rules.consultation_unanswered(c.id, c.platform_id, c.topic, c.requested_on, c.reply_due_on)
    await raise_finding(session, spec, subject_type="consultation", subject_id=c.id, platform_id=c.platform_id)


async def rule_version_published(session: AsyncSession, facts: dict, received_at: datetime) -> None:
    """A platform published a rule version (contracts): kept once; judged against the consultations
    on its topic."""
    if not await repo.save_rule_version(session, {**facts, "received_at": received_at}):
        return
    version = await repo.rule_version(session, facts["platform_id"], facts["topic"], facts["version"])
    assert version is not None
    for c in await repo.consultations_on(session, version.platform_id, version.topic):
        await _raise_published(session, c, version)
