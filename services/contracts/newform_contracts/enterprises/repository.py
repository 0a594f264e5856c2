"""The queries on enterprises: by id, visible to the caller, by credit code (and its lock), lists, and the
public directory of platforms."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.errors import NotFound
from newform_common.locks import lock_keys
from newform_common.pagination import PageParams, keyset
from newform_common.scope import get_visible

from ..models import Enterprise
from ..repository import visible_page


async def enterprise(session: AsyncSession, enterprise_id: str) -> Enterprise | None:
    return await session.get(Enterprise, enterprise_id)


async def visible_enterprise(session: AsyncSession, principal: Principal, enterprise_id: str) -> Enterprise:
    return await get_visible(session, principal, Enterprise, enterprise_id, what="enterprise")


async def lock_credit_code(session: AsyncSession, credit_code: str) -> None:
    """Serialises registrations of one credit code until the transaction ends."""
    await lock_keys(session, "enterprise-credit-code", [credit_code])


async def enterprise_id_with_credit_code(session: AsyncSession, credit_code: str) -> str | None:
    return await session.scalar(
        select(Enterprise.id).where(Enterprise.credit_code == credit_code).order_by(Enterprise.id).limit(1)
    )


async def enterprises(
    session: AsyncSession, principal: Principal, params: PageParams, *, platform_id: str | None, kind: str | None
) -> list[Enterprise]:
    return await visible_page(session, Enterprise, principal, params, platform_id, kind=kind)


async def platform_directory(session: AsyncSession, params: PageParams) -> list[Enterprise]:
    """One page of registered platforms (public facts: every caller sees every platform)."""
    query = select(Enterprise).where(Enterprise.kind == "platform")
    return list((await session.execute(keyset(query, Enterprise.id, params))).scalars())


async def platform(session: AsyncSession, platform_id: str) -> Enterprise:
    """A registered platform (partners are not in the public directory), else 404."""
    row = await session.get(Enterprise, platform_id)
    if row is None or row.kind != "platform":
        raise NotFound(f"No platform {platform_id!r}")
    return row
