"""Use cases of online membership (M17; 工会法 art. 3; 人社部发〔2021〕56号 item 10: unions draw new-form
workers in). One active membership per person at a time — the database refuses a second one (partial
unique indexes in `models.Membership`); a platform sees counts, never members."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import Conflict, Forbidden, NotFound
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.states import require_transition

from .. import events as ev
from .. import repository as repo
from .. import rules
from ..dates import now, refuse_if, today
from ..models import ALLOWED_MEMBERSHIP, Membership, MembershipStatus
from ..organisations.service import require_union_department
from ..schemas import CoveragePublic, DistrictCoveragePublic, MembershipApply, MembershipDecision


def _facts(m: Membership) -> dict:
    return {
        "membership_id": m.id,
        "union_id": m.union_id,
        "worker_id": m.worker_id,
        "platform_id": m.platform_id,
        "district": m.district,
        "status": m.status,
        "at": now(),
    }


def move(m: Membership, to: MembershipStatus) -> None:
    require_transition(ALLOWED_MEMBERSHIP, m.status, to, "membership")
    m.status = to


async def apply(session: AsyncSession, principal: Principal, body: MembershipApply) -> Membership:
    """A worker applies to the union covering their platform or district; applying while a member of
    another union asks for a transfer (accepted, it ends the old membership)."""
    if principal.role != Role.worker or principal.worker_id is None:
        raise Forbidden("A worker applies for themselves, with their own token")
    worker_id = principal.worker_id
    union = await repo.union(session, body.union_id)
    if union is None:
        raise NotFound(f"No union {body.union_id!r}")
    refuse_if(rules.union_covers(union.kind, union.platform_ids, union.districts, body.platform_id, body.district))
    refuse_if(rules.registered_with(body.platform_id, await repo.platforms_of_worker(session, worker_id)))
    if await repo.open_application(session, worker_id) is not None:
        raise Conflict("An application of this worker is already open")
    current = await repo.active_membership(session, worker_id)
    if current is not None and current.union_id == union.id:
        raise Conflict(f"Already a member of {union.id}")
    row = Membership(
        id=new_id("mem"),
        union_id=union.id,
        worker_id=worker_id,
        platform_id=body.platform_id,
        district=body.district,
        status=MembershipStatus.applied,
        transfer_from=current.id if current else None,
        applied_at=now(),
    )
    session.add(row)
    await repo.flush(session)  # a concurrent second application meets the index here: 409
    record(session, ev.MembershipApplied(**_facts(row), transfer_from=row.transfer_from))
    return row


async def decide(
    session: AsyncSession, principal: Principal, membership_id: str, body: MembershipDecision
) -> Membership:
    require_union_department(principal)
    row = await repo.visible_membership(session, principal, membership_id, for_update=True)
    row.decided_at = now()
    if body.decision == "refuse":
        move(row, MembershipStatus.refused)
        row.reason = body.reason
        record(session, ev.MembershipRefused(**_facts(row), reason=body.reason or ""))
        return row
    # Whatever the worker held when applying, the membership active now is the one a transfer ends.
    current = await repo.active_membership(session, row.worker_id, for_update=True)
    if current is not None:
        move(current, MembershipStatus.transferred)
        current.ended_on, current.reason = today(), f"transferred to {row.union_id}"
        row.transfer_from = current.id
        await repo.flush(session)  # the old one ends before the new one is active (one active per person)
        record(session, ev.MembershipEnded(**_facts(current), ended_on=today(), reason="transferred"))
    move(row, MembershipStatus.active)
    row.joined_on = today()
    await repo.flush(session)
    record(session, ev.MembershipAccepted(**_facts(row), joined_on=row.joined_on, transfer_from=row.transfer_from))
    return row


async def leave(session: AsyncSession, principal: Principal, membership_id: str) -> Membership:
    row = await repo.visible_membership(session, principal, membership_id, for_update=True)
    if principal.role == Role.worker:
        pass  # the worker's own (the getter saw to it)
    else:
        require_union_department(principal)
    move(row, MembershipStatus.left)
    row.ended_on, row.reason = today(), "left"
    record(session, ev.MembershipEnded(**_facts(row), ended_on=today(), reason="left"))
    return row


async def _coverage(
    session: AsyncSession, by: Literal["district", "platform"], platform_id: str | None = None
) -> list[rules.CoverageCount]:
    """Union coverage as `rules.union_coverage` counts it, over this service's copy of the registrations."""
    found = await repo.active_registrations(session, platform_id)
    registrations = [
        rules.ActiveRegistration(r.registration_id, r.worker_id, r.platform_id, r.residence_district, r.registered_at)
        for r, _ in found
    ]
    members = {r.worker_id for r, member in found if member}
    return rules.union_coverage(registrations, members, by)


async def coverage(session: AsyncSession, principal: Principal, platform_id: str | None) -> list[CoveragePublic]:
    """Per platform: its registered workers and the members among them, whichever union or platform they
    joined through (RULES.md "Union coverage"); counts only, a platform its own."""
    if principal.role == Role.worker:
        raise Forbidden("Coverage is for platforms and oversight")
    if principal.role in (Role.platform, Role.enterprise):
        if not principal.platform_id:
            raise Forbidden("A platform's token names its platform")
        platform_id = principal.platform_id
    return [
        CoveragePublic(
            platform_id=c.key, members=c.members, registered_workers=c.registered_workers, coverage_percent=c.percent
        )
        for c in await _coverage(session, "platform", platform_id)
        if c.key is not None
    ]


async def coverage_by_district(session: AsyncSession, principal: Principal) -> list[DistrictCoveragePublic]:
    """Per district: each registered worker once, in the residence district of their latest active
    registration (RULES.md "Union coverage"); for oversight (a figure across platforms)."""
    if principal.role not in (Role.department, Role.regulator, Role.admin):
        raise Forbidden("Coverage per district is for the departments and the regulator")
    return [
        DistrictCoveragePublic(
            district=c.key, members=c.members, registered_workers=c.registered_workers, coverage_percent=c.percent
        )
        for c in await _coverage(session, "district")
    ]
