"""Credit decisions (M6, M19) that the API takes and a rebuild replays: **listings** on the wage-arrears
joint-punishment list (拖欠农民工工资失信联合惩戒对象名单), hrss's decision under 人力资源社会保障部令第45号
(the 办法), taken only when its conditions are recorded by the department (`rules.listing_condition`):
labour inspection's written order to pay by a deadline (责令限期支付, a `departments` inspection result)
ignored, plus the refusal-to-pay threshold or a mass incident; early removal
(`rules.early_removal_from`); and the early **end** of a record or listing (信用修复, removal on review).

Each is a `gateway.*` event (`events.py`) recorded with the change, replayed in order by a rebuild.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.auth import Principal
from newform_common.errors import Conflict, Forbidden, NotFound, Unprocessable
from newform_common.events import Envelope
from newform_common.outbox import record as record_event
from newform_common.policy import business_date, business_today

from ..alerts import routing
from ..events import CreditListingDecided, CreditListingEnded
from ..sources.departments import repository as departments_repository
from . import repository
from .models import CreditListing, CreditListingEnd
from .rules import (
    LISTING_DEPARTMENT,
    ListingRefused,
    add_years,
    early_removal_from,
    listing_basis,
    listing_condition,
    policy_value,
)
from .schemas import EarlyRemovalCreate, ListingCreate, ListingEndCreate, ListingPublic


def _not_future(**days: date) -> None:
    today = business_today()
    for name, day in days.items():
        if day > today:
            raise Unprocessable(f"{name} ({day.isoformat()}) lies in the future", slug="date-in-future")


async def apply_listing(session: AsyncSession, event_id: str, e: CreditListingDecided) -> None:
    if await repository.get_listing(session, e.listing_id) is not None:
        return
    session.add(CreditListing(event_id=event_id, **e.model_dump()))


async def project_listing(session: AsyncSession, envelope: Envelope, ctx: Any) -> None:
    """Replay of `gateway.credit_listing.decided.v1` (live, the API applied it already: a no-op)."""
    await apply_listing(session, envelope.id, CreditListingDecided.model_validate(envelope.data))


async def decide_listing(session: AsyncSession, principal: Principal, body: ListingCreate) -> CreditListing:
    if routing.department_key(principal) != LISTING_DEPARTMENT:
        raise Forbidden("Listing on the wage-arrears list is hrss's decision (办法 art. 5)")
    _not_future(decided_on=body.decided_on)
    fact = await departments_repository.get_fact(session, body.inspection_fact_id)
    if fact is None:
        raise NotFound(f"No inspection result {body.inspection_fact_id!r} from the departments service")
    if body.decided_on < business_date(fact.observed_at):
        raise Unprocessable(
            f"The listing is decided on {body.decided_on.isoformat()}, before the department "
            f"established the facts it rests on ({business_date(fact.observed_at).isoformat()})",
            slug="invalid-date-range",
        )
    try:
        condition, why = listing_condition(fact, body.decided_on)
    except ListingRefused as exc:
        raise Unprocessable(str(exc), slug=exc.slug) from None
    code = str(fact.fields.get("employer_credit_code"))
    if body.record_ids:
        records = await repository.records_by_id(session, body.record_ids)
        if {r.record_id for r in records} != set(body.record_ids) or any(
            r.subject_credit_code != code for r in records
        ):
            raise Unprocessable(
                "Every record a listing rests on is a record of the same subject", slug="listing-records-mismatch"
            )
    if await repository.listing_of_fact(session, fact.fact_id) is not None:
        raise Conflict(f"The order {fact.reference} has a listing already", slug="listing-exists")
    years = int(policy_value("wages.arrears_credit_list.listed_years", body.decided_on))
    at = clock.now()
    order = {
        "fact_id": fact.fact_id,
        "reference": fact.reference,
        "department": fact.department,
        "ordered_to_pay_by": fact.fields.get("ordered_to_pay_by"),
        "inspected_on": fact.fields.get("inspected_on"),
    }
    summary = f"责令限期支付（{fact.reference}）逾期未支付；{why}"
    event = CreditListingDecided(
        listing_id=f"cl_{fact.fact_id}"[:100],
        subject_credit_code=code,
        subject_name=fact.fields.get("employer_name") or await repository.subject_name(session, code),
        inspection_fact_id=fact.fact_id,
        order_reference=fact.reference,
        condition=condition,
        arrears_fen=int(fact.fields.get("confirmed_amount_fen") or 0),
        decided_on=body.decided_on,
        valid_until=add_years(body.decided_on, years) - timedelta(days=1),
        issuing_department=LISTING_DEPARTMENT,
        actor=principal.subject,
        record_ids=body.record_ids,
        basis=listing_basis(body.decided_on, condition=condition, order=order, summary=summary),
        note=body.note,
        at=at,
    )
    envelope = record_event(session, event, time=at)
    await apply_listing(session, envelope.id, event)
    await session.flush()
    return await repository.get_listing(session, event.listing_id)


async def listing_public(session: AsyncSession, row: CreditListing) -> ListingPublic:
    end = await repository.get_end(session, row.listing_id)
    return ListingPublic.model_validate(row).model_copy(
        update={"ended_on": end.ended_on if end else None, "end_kind": end.kind if end else None}
    )


async def remove_early(session: AsyncSession, principal: Principal, listing_id: str, body: EarlyRemovalCreate):
    """Grant early removal (办法: 6 months after correcting, with a written credit commitment) — refused
    before then. Recorded as the listing's end (`removal`), exported on the day it is granted."""
    listing = await repository.lock_listing(session, listing_id)
    if listing is None:
        raise NotFound(f"No listing {listing_id!r}")
    department = routing.department_key(principal)
    if not principal.is_oversight() and department != listing.issuing_department:
        raise Forbidden("Only the department that listed (or the regulator) removes a listing")
    _not_future(corrected_on=body.corrected_on, requested_on=body.requested_on)
    if body.requested_on < listing.decided_on or body.corrected_on > body.requested_on:
        raise Unprocessable("A request comes after the listing and after the correction", slug="invalid-date-range")
    if not body.credit_commitment:
        raise Unprocessable(
            "Early removal needs the unit's written credit commitment (书面信用承诺)", slug="credit-commitment-required"
        )
    eligible = early_removal_from(listing.decided_on, body.corrected_on)
    if body.requested_on < eligible:
        raise Unprocessable(
            f"Early removal may be granted from {eligible.isoformat()} (six months after the "
            f"correction on {body.corrected_on.isoformat()}); asked on {body.requested_on.isoformat()}",
            slug="removal-too-early",
        )
    if await repository.get_end(session, listing_id) is not None:
        raise Conflict(f"The listing {listing_id} has already ended", slug="listing-ended")
    at = clock.now()
    event = CreditListingEnded(
        record_id=listing_id,
        kind="removal",
        ended_on=body.requested_on,
        reason=body.reason,
        actor=principal.subject,
        actor_department=department,
        at=at,
        corrected_on=body.corrected_on,
        requested_on=body.requested_on,
    )
    envelope = record_event(session, event, time=at)
    await apply_end(session, envelope.id, event)
    await session.flush()
    return listing


async def apply_end(session: AsyncSession, event_id: str, e: CreditListingEnded) -> None:
    if await repository.get_end(session, e.record_id) is not None:
        return
    session.add(
        CreditListingEnd(
            record_id=e.record_id,
            kind=e.kind,
            ended_on=e.ended_on,
            reason=e.reason,
            actor=e.actor,
            actor_department=e.actor_department,
            event_id=event_id,
            at=e.at,
            corrected_on=e.corrected_on,
            requested_on=e.requested_on,
        )
    )


async def project_listing_end(session: AsyncSession, envelope: Envelope, ctx: Any) -> None:
    """Replay of `gateway.credit_record.ended.v1` (live, the API applied it already: a no-op)."""
    await apply_end(session, envelope.id, CreditListingEnded.model_validate(envelope.data))


async def end_listing(
    session: AsyncSession, principal: Principal, record_id: str, body: ListingEndCreate
) -> CreditListingEnd:
    cr = await repository.lock_record(session, record_id)
    if cr is None:
        raise NotFound(f"No credit record {record_id!r}")
    issuer = await repository.record_issuer(session, cr.alert_id)
    department = routing.department_key(principal)
    if not principal.is_oversight() and (department is None or department != issuer):
        raise Forbidden("Only the department that confirmed the record (or the regulator) ends its listing")
    if body.ended_on < business_date(cr.confirmed_at):
        raise Unprocessable("A listing cannot end before it was decided", slug="invalid-date-range")
    if await repository.get_end(session, record_id) is not None:
        raise Conflict(f"The listing of {record_id} has already ended", slug="listing-ended")
    at = datetime.now(UTC)
    event = CreditListingEnded(
        record_id=record_id,
        kind=body.kind,
        ended_on=body.ended_on,
        reason=body.reason,
        actor=principal.subject,
        actor_department=department,
        at=at,
    )
    envelope = record_event(session, event, time=at)
    await apply_end(session, envelope.id, event)
    await session.flush()
    return await repository.get_end(session, record_id)
