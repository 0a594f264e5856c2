"""Queries of the related_units table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.scope import visibility

from .models import RelatedUnit


async def related_units(session: AsyncSession, platform_id: str) -> dict[str, dict[str, Any]]:
    """A platform's related units by the unit's enterprise id."""
    rows = await session.execute(text("select * from related_units where platform_id = :p"), {"p": platform_id})
    return {r["enterprise_id"]: dict(r) for r in rows.mappings()}


async def visible_related_units(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """The related units the caller may see (a platform its own, oversight all), by id."""
    query = select(RelatedUnit.__table__).where(visibility(principal).where(platform=RelatedUnit.platform_id))
    return [dict(r) for r in (await session.execute(query.order_by(RelatedUnit.id))).mappings()]


async def upsert_related_unit(session: AsyncSession, row: dict[str, Any]) -> str:
    """Declare a related unit (the platform's unit of the same enterprise is replaced); returns its id."""
    result = await session.execute(
        text(
            "insert into related_units (id, platform_id, enterprise_id, name, credit_code, kind, "
            "platform_entrusted_to_pay, registered_at) values (:id, :platform_id, :enterprise_id, :name, :credit_code, "
            ":kind, :platform_entrusted_to_pay, :registered_at) on conflict (platform_id, enterprise_id) do update set "
            "name = excluded.name, credit_code = excluded.credit_code, kind = excluded.kind, "
            "platform_entrusted_to_pay = excluded.platform_entrusted_to_pay returning id"
        ),
        row,
    )
    return result.scalar_one()
