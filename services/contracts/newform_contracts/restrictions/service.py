"""Use cases of account restrictions (M5): a platform restricts or cancels a registration, with its
reason and notice judged at once (the fact already acts on the worker); the worker appeals (M10's
申诉机制); the platform or the regulator lifts it. In the request's transaction (never commits)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.errors import Conflict, Unprocessable
from newform_common.findings import FindingRef, findings_of, raise_finding
from newform_common.outbox import record
from newform_common.policy import business_date

from .. import events as ev
from .. import shared
from ..contracts import repository as contracts
from ..enterprises import repository as enterprises
from ..models import (
    REGISTRATION_ALLOWED,
    AccountRestriction,
    AppealStatus,
    Registration,
    RegistrationStatus,
    RestrictionAppeal,
    new_id,
)
from ..schemas import RowWith
from ..workers import repository as workers
from . import repository, rules
from .schemas import AppealCreate, RestrictionCreate, RestrictionPublic


async def place_of_work(session: AsyncSession, reg: Registration) -> str | None:
    """Where the worker works for this platform: his latest contract's district, else the platform's."""
    district = await contracts.latest_contract_district(session, reg.id)
    if district:
        return district
    platform = await enterprises.enterprise(session, reg.platform_id)
    return platform.district if platform else None


async def restrict_account(
    session: AsyncSession, principal: Principal, body: RestrictionCreate
) -> tuple[AccountRestriction, list[FindingRef]]:
    # Row-locked before its status is checked: two restrictions side by side both passed the check, and one
    # committed after a cancellation reopened the account as "restricted".
    await workers.registration_for_update(session, body.registration_id)
    reg = await workers.visible_registration(session, principal, body.registration_id)
    target = RegistrationStatus.cancelled if body.action == "cancel" else RegistrationStatus.restricted
    if target not in REGISTRATION_ALLOWED[RegistrationStatus(reg.status)]:
        raise Conflict("The worker's registration is already cancelled")
    for name, value in (("effective_at", body.effective_at), ("notice_given_at", body.notice_given_at)):
        if value is not None and value.utcoffset() is None:
            raise Unprocessable(f"{name} needs a timezone offset (RFC 3339)")
    notice_given = rules.notice_given_before(body.notice_given_at, body.effective_at)
    notice_days = (business_date(body.effective_at) - business_date(body.notice_given_at)).days if notice_given else 0
    reason_listed = body.reason_code in rules.restriction_reasons(shared.today())
    r = AccountRestriction(
        id=new_id("rst"),
        registration_id=reg.id,
        worker_id=reg.worker_id,
        platform_id=reg.platform_id,
        action=body.action,
        reason_code=body.reason_code,
        reason_listed=reason_listed,
        reason_text=body.reason_text,
        notice_given_at=body.notice_given_at,
        notice_days=notice_days,
        effective_at=body.effective_at,
        created_at=shared.now(),
    )
    session.add(r)
    reg.status = target
    record(
        session,
        ev.AccountRestricted(
            restriction_id=r.id,
            worker_id=r.worker_id,
            platform_id=r.platform_id,
            action=body.action,
            reason_code=r.reason_code,
            reason_listed=reason_listed,
            notice_days=notice_days,
            effective_at=r.effective_at,
        ),
    )
    refs = []
    district = await place_of_work(session, reg)
    for spec in rules.restriction_findings(body.reason_code, notice_given, shared.today()):
        refs.append(
            await raise_finding(
                session,
                spec,
                subject_type="account_restriction",
                subject_id=r.id,
                platform_id=r.platform_id,
                worker_id=r.worker_id,
                occupation=reg.occupation,
                district=district,
                judged_on=shared.today(),
            )
        )
    return r, refs


def restriction_public(r: AccountRestriction, findings: list[FindingRef]) -> RestrictionPublic:
    """The restriction row with its status (lifted or in effect) and its findings."""
    return RestrictionPublic.model_validate(
        RowWith(r, status="lifted" if r.lifted_at else "in_effect", findings=findings)
    )


async def restriction_public_of(session: AsyncSession, r: AccountRestriction) -> RestrictionPublic:
    return restriction_public(r, await findings_of(session, r.id))


async def appeal_restriction(
    session: AsyncSession, principal: Principal, restriction_id: str, body: AppealCreate
) -> RestrictionAppeal:
    """The worker contests a restriction (M5; M10's 申诉机制): recorded, published for the platform
    and the departments. One open appeal per restriction."""
    r = await repository.visible_restriction(session, principal, restriction_id, for_update=True)
    if r.lifted_at is not None:
        raise Conflict("This restriction has been lifted; there is nothing to appeal", slug="restriction-lifted")
    open_appeal = await repository.open_appeal_id(session, r.id)
    if open_appeal:
        raise Conflict(f"An appeal against this restriction is already open: {open_appeal}", appeal_id=open_appeal)
    a = RestrictionAppeal(
        id=new_id("apl"),
        restriction_id=r.id,
        worker_id=r.worker_id,
        platform_id=r.platform_id,
        grounds=body.grounds,
        submitted_by=principal.key,
        submitted_at=shared.now(),
        status=AppealStatus.open,
    )
    session.add(a)
    record(
        session,
        ev.RestrictionAppealed(
            appeal_id=a.id,
            restriction_id=r.id,
            worker_id=r.worker_id,
            platform_id=r.platform_id,
            submitted_at=a.submitted_at,
        ),
    )
    return a


async def lift_restriction(
    session: AsyncSession, principal: Principal, restriction_id: str, reason: str
) -> AccountRestriction:
    """The platform (or the regulator, after an appeal or an inspection) lifts a restriction or
    cancellation: open appeals are closed, and the registration is as the restrictions still in effect
    leave it — active when none is, restricted or cancelled when one is (`rules.status_after_lift`)."""
    r = await repository.visible_restriction(session, principal, restriction_id, for_update=True)
    if r.lifted_at is not None:
        raise Conflict("This restriction has already been lifted", slug="restriction-lifted")
    at = shared.now()
    r.lifted_at, r.lifted_by, r.lift_reason = at, principal.key, reason
    reg = await workers.registration_for_update(session, r.registration_id)
    reg.status = rules.status_after_lift(await repository.other_unlifted_actions(session, r.registration_id, r.id))
    for a in await repository.appeals(session, r.id):
        if a.status == AppealStatus.open:
            a.status, a.closed_at = AppealStatus.closed, at
    record(
        session,
        ev.RestrictionLifted(
            restriction_id=r.id,
            worker_id=r.worker_id,
            platform_id=r.platform_id,
            lifted_by_role=str(principal.role),
            lifted_at=at,
        ),
    )
    return r
