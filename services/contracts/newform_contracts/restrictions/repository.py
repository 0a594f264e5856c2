"""The queries on account restrictions and their appeals (M5)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal, Role
from newform_common.errors import NotFound
from newform_common.pagination import PageParams
from newform_common.scope import visibility

from ..models import AccountRestriction, AppealStatus, RestrictionAppeal
from ..repository import visible_page


async def restriction(
    session: AsyncSession, restriction_id: str, *, for_update: bool = False
) -> AccountRestriction | None:
    query = select(AccountRestriction).where(AccountRestriction.id == restriction_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def visible_restriction(
    session: AsyncSession, principal: Principal, restriction_id: str, *, for_update: bool = False
) -> AccountRestriction:
    """The restriction if the caller may see it: its platform, the worker himself (worker token), the
    departments — and a worker channel (12333 and the like), which files appeals on a worker's behalf
    with the restriction id the worker gives it."""
    r = await restriction(session, restriction_id, for_update=for_update)
    if r is None or not (
        principal.role == Role.worker_channel
        or visibility(principal).allows(platform_id=r.platform_id, worker_id=r.worker_id)
    ):
        raise NotFound(f"No account restriction {restriction_id!r}")
    return r


async def restrictions(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, worker_id: str | None
) -> list[AccountRestriction]:
    return await visible_page(session, AccountRestriction, principal, params, platform_id, worker_id=worker_id)


async def other_unlifted_actions(session: AsyncSession, registration_id: str, restriction_id: str) -> list[str]:
    """The actions (`restrict`, `cancel`) of the registration's restrictions, other than this one, that
    are still in effect."""
    rows = await session.scalars(
        select(AccountRestriction.action).where(
            AccountRestriction.registration_id == registration_id,
            AccountRestriction.id != restriction_id,
            AccountRestriction.lifted_at.is_(None),
        )
    )
    return list(rows)


async def open_appeal_id(session: AsyncSession, restriction_id: str) -> str | None:
    return await session.scalar(
        select(RestrictionAppeal.id).where(
            RestrictionAppeal.restriction_id == restriction_id, RestrictionAppeal.status == AppealStatus.open
        )
    )


async def appeals(session: AsyncSession, restriction_id: str) -> list[RestrictionAppeal]:
    return list(
        (
            await session.execute(
                select(RestrictionAppeal)
                .where(RestrictionAppeal.restriction_id == restriction_id)
                .order_by(RestrictionAppeal.id)
            )
        ).scalars()
    )
