"""Every query of the unions service: reads and writes of its tables, nothing else.

Functions are named for what they answer, take the session first and return models or plain values;
a getter of what the caller may see takes `(session, principal, key, *, for_update=False)`.
"""

from __future__ import annotations

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from newform_common.auth import Principal, Role
from newform_common.errors import Conflict, NotFound
from newform_common.pagination import PageParams, keyset
from newform_common.scope import visibility

from .models import (
    CollectiveContract,
    CollectiveContractStatus,
    Consultation,
    ConsultationStatus,
    Membership,
    MembershipStatus,
    RegistrationRestriction,
    RuleVersion,
    Union,
    WorkerRegistration,
)


async def flush(session: AsyncSession) -> None:
    """Write the unit of work now: a transfer ends the old membership before the new one becomes active
    (the one-active-membership index checks each row as it is written)."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("This worker already has an active membership or an open application (one at a time)") from exc


# -- union organisations ------------------------------------------------------------------------------
async def union(session: AsyncSession, union_id: str, *, for_update: bool = False) -> Union | None:
    return await session.get(Union, union_id, with_for_update=for_update or None)


async def unions_page(session: AsyncSession, params: PageParams, *, platform_id: str | None) -> list[Union]:
    query = select(Union)
    if platform_id:
        query = query.where(Union.platform_ids.contains([platform_id]))  # type: ignore[attr-defined]
    return list((await session.execute(keyset(query, Union.id, params))).scalars())


async def unions_covering_platform(session: AsyncSession, platform_id: str) -> list[Union]:
    query = select(Union).where(Union.platform_ids.contains([platform_id]))  # type: ignore[attr-defined]
    return list((await session.execute(query.order_by(Union.id))).scalars())


# -- memberships --------------------------------------------------------------------------------------
async def visible_membership(
    session: AsyncSession, principal: Principal, membership_id: str, *, for_update: bool = False
) -> Membership:
    """A membership is the worker's own, or seen by oversight (the union decides on it); a platform sees
    counts only, never a member (工会法: membership is the worker's own affair)."""
    row = await session.get(Membership, membership_id, with_for_update=for_update or None)
    if row is None or principal.role in (Role.platform, Role.enterprise):
        raise NotFound(f"No membership {membership_id!r}")
    if principal.role == Role.worker and row.worker_id != principal.subject:
        raise NotFound(f"No membership {membership_id!r}")
    if principal.role not in (Role.worker, Role.department, Role.regulator, Role.admin):
        raise NotFound(f"No membership {membership_id!r}")
    return row


async def memberships_page(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    union_id: str | None,
    status: str | None,
) -> list[Membership]:
    query = select(Membership).where(visibility(principal).where(worker=Membership.worker_id))
    if principal.role in (Role.platform, Role.enterprise):
        return []
    if union_id:
        query = query.where(Membership.union_id == union_id)
    if status:
        query = query.where(Membership.status == status)
    return list((await session.execute(keyset(query, Membership.id, params))).scalars())


async def active_membership(session: AsyncSession, worker_id: str, *, for_update: bool = False) -> Membership | None:
    query = select(Membership).where(Membership.worker_id == worker_id, Membership.status == MembershipStatus.active)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def open_application(session: AsyncSession, worker_id: str) -> Membership | None:
    query = select(Membership).where(Membership.worker_id == worker_id, Membership.status == MembershipStatus.applied)
    return (await session.execute(query)).scalar_one_or_none()


# -- worker registrations (contracts' events) ---------------------------------------------------------
async def save_registrations(session: AsyncSession, rows: list[dict]) -> None:
    if not rows:
        return
    statement = insert(WorkerRegistration).values(rows)
    await session.execute(statement.on_conflict_do_nothing())


async def save_restriction(session: AsyncSession, row: dict) -> None:
    """A restriction's facts (`action`) or its lift (`lifted_at`), whichever event comes first makes the row;
    the other fills its own columns in. Idempotent: the same event again writes the same values."""
    statement = insert(RegistrationRestriction).values(row)
    facts = {c: statement.excluded[c] for c in row if c not in ("restriction_id", "worker_id", "platform_id")}
    await session.execute(statement.on_conflict_do_update(index_elements=["restriction_id"], set_=facts))


async def refresh_registration(session: AsyncSession, worker_id: str, platform_id: str) -> None:
    """The registration of (worker, platform) is active exactly when none of its cancellations is in effect
    (RULES.md "Union coverage"; the gateway's projection decides the same): derived from the stored
    restrictions, not from the order their events came in."""
    cancelled = (
        select(RegistrationRestriction.restriction_id)
        .where(
            RegistrationRestriction.worker_id == worker_id,
            RegistrationRestriction.platform_id == platform_id,
            RegistrationRestriction.action == "cancel",
            RegistrationRestriction.lifted_at.is_(None),  # type: ignore[union-attr]
        )
        .exists()
    )
    statement = (
        update(WorkerRegistration)
        .where(WorkerRegistration.worker_id == worker_id, WorkerRegistration.platform_id == platform_id)
        .values(active=~cancelled)
    )
    await session.execute(statement)


async def platforms_of_worker(session: AsyncSession, worker_id: str) -> set[str]:
    """The platforms the worker holds an active registration with."""
    query = select(WorkerRegistration.platform_id).where(
        WorkerRegistration.worker_id == worker_id,
        WorkerRegistration.active.is_(True),  # type: ignore[attr-defined]
    )
    return set((await session.execute(query)).scalars())


async def active_registrations(
    session: AsyncSession, platform_id: str | None = None
) -> list[tuple[WorkerRegistration, bool]]:
    """Active registrations (one platform's, or all), each with whether its worker holds an active
    membership of any union — in one statement, so both sides of union coverage are of one moment."""
    member = (
        select(Membership.id)
        .where(Membership.worker_id == WorkerRegistration.worker_id, Membership.status == MembershipStatus.active)
        .exists()
    )
    query = select(WorkerRegistration, member).where(WorkerRegistration.active.is_(True))  # type: ignore[attr-defined]
    if platform_id:
        query = query.where(WorkerRegistration.platform_id == platform_id)
    return [(r, bool(m)) for r, m in (await session.execute(query)).all()]


# -- rule versions (contracts' events) and consultations ----------------------------------------------
async def save_rule_version(session: AsyncSession, row: dict) -> bool:
    """Store a published version once; False when it was already known."""
    statement = insert(RuleVersion).values(row).on_conflict_do_nothing().returning(RuleVersion.notice_id)
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def rule_versions(session: AsyncSession, platform_id: str, topic: str) -> list[RuleVersion]:
    query = select(RuleVersion).where(RuleVersion.platform_id == platform_id, RuleVersion.topic == topic)
    return list((await session.execute(query.order_by(RuleVersion.version))).scalars())


async def rule_version(session: AsyncSession, platform_id: str, topic: str, version: int) -> RuleVersion | None:
    query = select(RuleVersion).where(
        RuleVersion.platform_id == platform_id, RuleVersion.topic == topic, RuleVersion.version == version
    )
    return (await session.execute(query)).scalar_one_or_none()


async def consultations_on(session: AsyncSession, platform_id: str, topic: str) -> list[Consultation]:
    query = select(Consultation).where(Consultation.platform_id == platform_id, Consultation.topic == topic)
    return list((await session.execute(query.order_by(Consultation.requested_on, Consultation.id))).scalars())


async def consultation(session: AsyncSession, consultation_id: str, *, for_update: bool = False) -> Consultation | None:
    return await session.get(Consultation, consultation_id, with_for_update=for_update or None)


async def visible_consultation(
    session: AsyncSession, principal: Principal, consultation_id: str, *, for_update: bool = False
) -> Consultation:
    row = await session.get(Consultation, consultation_id, with_for_update=for_update or None)
    if row is None or not visibility(principal).allows(platform_id=row.platform_id) or principal.role == Role.worker:
        raise NotFound(f"No consultation {consultation_id!r}")
    return row


async def consultations_page(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, status: str | None
) -> list[Consultation]:
    if principal.role == Role.worker:
        return []
    query = select(Consultation).where(visibility(principal).where(platform=Consultation.platform_id))
    if platform_id:
        query = query.where(Consultation.platform_id == platform_id)
    if status:
        query = query.where(Consultation.status == ConsultationStatus(status))
    return list((await session.execute(keyset(query, Consultation.id, params))).scalars())


# -- collective contracts -----------------------------------------------------------------------------
async def visible_collective_contract(
    session: AsyncSession, principal: Principal, contract_id: str, *, for_update: bool = False
) -> CollectiveContract:
    """Collective contracts are public to the workers they bind (劳动合同法 art. 54: 公布); a platform sees
    those binding it."""
    row = await session.get(CollectiveContract, contract_id, with_for_update=for_update or None)
    if row is None:
        raise NotFound(f"No collective contract {contract_id!r}")
    if principal.role in (Role.platform, Role.enterprise) and principal.platform_id not in row.platform_ids:
        raise NotFound(f"No collective contract {contract_id!r}")
    if principal.role == Role.worker:
        query = select(CollectiveContract.id).where(
            CollectiveContract.id == contract_id, await binding_worker(session, principal.subject)
        )
        if (await session.execute(query)).scalar_one_or_none() is None:
            raise NotFound(f"No collective contract {contract_id!r}")
    return row


#: What a worker sees of collective contracts: those in force (or that were) — published to the workers
#: they bind (劳动合同法 art. 54) — not drafts still being negotiated or under hrss' review.
PUBLISHED_TO_WORKERS = (CollectiveContractStatus.in_force, CollectiveContractStatus.ended)


def _empty_or_has(column, value: str) -> ColumnElement[bool]:
    return or_(func.jsonb_array_length(column) == 0, column.contains([value]))


async def binding_worker(session: AsyncSession, worker_id: str) -> ColumnElement[bool]:
    """The published contracts binding one of the worker's registrations (as `newform_common.collective`'s
    `covers`: the platform, and the occupation and residence district where the contract names any)."""
    query = select(
        WorkerRegistration.platform_id, WorkerRegistration.occupation, WorkerRegistration.residence_district
    ).where(WorkerRegistration.worker_id == worker_id)
    registrations = (await session.execute(query)).all()
    if not registrations:
        return false()
    cc = CollectiveContract
    return and_(
        cc.status.in_(PUBLISHED_TO_WORKERS),  # type: ignore[attr-defined]
        or_(
            *(
                and_(
                    cc.platform_ids.contains([platform_id]),  # type: ignore[attr-defined]
                    _empty_or_has(cc.occupations, occupation),
                    _empty_or_has(cc.districts, district),
                )
                for platform_id, occupation, district in registrations
            )
        ),
    )


async def collective_contract(
    session: AsyncSession, contract_id: str, *, for_update: bool = False
) -> CollectiveContract | None:
    return await session.get(CollectiveContract, contract_id, with_for_update=for_update or None)


async def in_force_binding(session: AsyncSession, union_id: str, kind: str) -> list[CollectiveContract]:
    """The union's contracts of a kind in force now (a new one of the same parties supersedes them)."""
    query = select(CollectiveContract).where(
        CollectiveContract.union_id == union_id,
        CollectiveContract.kind == kind,
        CollectiveContract.status == "in_force",
    )
    return list((await session.execute(query.with_for_update())).scalars())


async def collective_contracts_page(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None, platform_id: str | None
) -> list[CollectiveContract]:
    query = select(CollectiveContract)
    if principal.role == Role.worker:  # the contracts binding them, published
        query = query.where(await binding_worker(session, principal.subject))
    mine = principal.platform_id if principal.role in (Role.platform, Role.enterprise) else platform_id
    if mine:
        query = query.where(CollectiveContract.platform_ids.contains([mine]))  # type: ignore[attr-defined]
    if status:
        query = query.where(CollectiveContract.status == status)
    return list((await session.execute(keyset(query, CollectiveContract.id, params))).scalars())
