"""Use cases of notices (M11, M12, M15): a department publishes or restates its own; a worker reads those
valid today that target them; contracts' registrations keep the copy that says whom. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import clock
from newform_common.auth import Principal, Role
from newform_common.errors import NotFound, Problem
from newform_common.ids import new_id
from newform_common.outbox import record
from newform_common.policy import business_date, get_policy

from . import repository as repo
from . import rules
from .events import NoticePublished
from .models import Notice
from .schemas import NoticeIn, NoticePublic


def publisher_of(principal: Principal) -> str:
    """A department token acts as its code; a district government as `county:<district>`."""
    if principal.department == rules.COUNTY and principal.district:
        return f"{rules.COUNTY}:{principal.district}"
    return str(principal.department)


def _refuse(detail: str, measure: str) -> Problem:
    return Problem(
        detail, status=403, slug="outside-department-scope", title="Outside the department's scope", measure=measure
    )


def _may_publish(principal: Principal, body: NoticeIn, now: datetime) -> str:
    measure = rules.MEASURE_OF[body.kind]
    units = get_policy().value(rules.publishers_parameter(measure), business_date(now))
    refusal = rules.publisher_refusal(principal.department, principal.district, measure, units, body.districts)
    if refusal:
        raise _refuse(refusal, measure)
    return measure


def public(n: Notice, status: str | None = None) -> NoticePublic:
    return NoticePublic(
        id=n.id,
        publisher=n.publisher,
        reference=n.reference,
        kind=n.kind,
        measure=n.measure,
        title=n.title,
        body=n.body,
        contact=n.contact,
        valid_from=n.valid_from,
        valid_until=n.valid_until,
        districts=list(n.districts),
        occupations=list(n.occupations),
        version=n.version,
        updated_at=n.updated_at,
        status=status,
    )


def _fields(body: NoticeIn, measure: str) -> dict[str, Any]:
    return {
        "kind": str(body.kind),
        "measure": measure,
        "title": body.title,
        "body": body.body,
        "contact": body.contact,
        "valid_from": body.valid_from,
        "valid_until": body.valid_until,
        "districts": list(body.districts),
        "occupations": list(body.occupations),
    }


def _published(n: Notice) -> NoticePublished:
    event = NoticePublished(
        notice_id=n.id,
        publisher=n.publisher,
        reference=n.reference,
        kind=n.kind,
        measure=n.measure,
        title=n.title,
        valid_from=n.valid_from,
        valid_until=n.valid_until,
        districts=list(n.districts),
        occupations=list(n.occupations),
        version=n.version,
        at=n.updated_at,
    )
    return event


def _restate(n: Notice, fields: dict[str, Any], now: datetime) -> bool:
    if all(getattr(n, k) == v for k, v in fields.items()):
        return False
    for k, v in fields.items():
        setattr(n, k, v)
    n.version, n.updated_at = n.version + 1, now
    return True


async def publish(session: AsyncSession, principal: Principal, body: NoticeIn) -> NoticePublic:
    """Publish under (publisher, reference); the same statement again is `unchanged`, another `updated`."""
    now = clock.now()
    measure = _may_publish(principal, body, now)
    publisher = publisher_of(principal)
    fields = _fields(body, measure)
    current = await repo.by_reference(session, publisher, body.reference)
    if current is None:
        n = Notice(
            id=new_id("ntc"), publisher=publisher, reference=body.reference, created_at=now, updated_at=now, **fields
        )
        session.add(n)
        record(session, _published(n))
        return public(n, "created")
    if not _restate(current, fields, now):
        return public(current, "unchanged")
    record(session, _published(current))
    return public(current, "updated")


async def restate(session: AsyncSession, principal: Principal, notice_id: str, body: NoticeIn) -> NoticePublic:
    """The publisher restates its notice by id (to end it early: `valid_until`); another department: 403."""
    n = await repo.notice(session, notice_id, for_update=True)
    if n is None:
        raise NotFound(f"No notice {notice_id}")
    now = clock.now()
    measure = _may_publish(principal, body, now)
    if n.publisher != publisher_of(principal):
        raise _refuse(f"Notice {notice_id} was published by {n.publisher}; only it may change it", measure)
    if body.reference != n.reference:
        raise Problem("A notice's reference cannot change", status=409, slug="conflict", title="Conflict")
    if not _restate(n, _fields(body, measure), now):
        return public(n, "unchanged")
    record(session, _published(n))
    return public(n, "updated")


async def listed(session: AsyncSession, principal: Principal, limit: int) -> list[NoticePublic]:
    """A worker: the notices valid today that target them (district of their latest active registration,
    occupations of all active ones). A department: what it published. The regulator, admins: all."""
    if principal.role == Role.worker:
        today = clock.today()
        registrations = await repo.active_registrations(session, str(principal.worker_id))
        district = registrations[0].residence_district if registrations else None
        occupations = {r.occupation for r in registrations}
        return [
            public(n)
            for n in await repo.valid_on(session, today)
            if rules.reaches(
                n.valid_from,
                n.valid_until,
                n.districts,
                n.occupations,
                today=today,
                district=district,
                worker_occupations=occupations,
            )
        ][:limit]
    publisher = None if principal.is_oversight() else publisher_of(principal)
    return [public(n) for n in await repo.published(session, publisher, limit)]


async def workers_registered(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """contracts' worker.registered: the copy of registrations (a redelivery keeps `active` as it is)."""
    await repo.save_registrations(session, [{**r, "active": True, "cancelled_by": None} for r in rows])


async def account_cancelled(session: AsyncSession, worker_id: str, platform_id: str, restriction_id: str) -> None:
    """A platform cancelled a worker's account (M5): those registrations stop targeting notices."""
    await repo.cancel_registrations(session, worker_id, platform_id, restriction_id)


async def restriction_lifted(session: AsyncSession, restriction_id: str) -> None:
    await repo.lift_cancellation(session, restriction_id)
