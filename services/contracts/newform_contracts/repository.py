"""What the aggregates' repositories share: one page of a table's rows the principal may see.

Lists are narrowed to what the principal may see (`newform_common.scope`); deciding whether a request
may ask for a platform at all is the router's (`dependencies.platform_filter`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.pagination import PageParams, keyset
from newform_common.scope import visibility


async def visible_page(
    session: AsyncSession, model: Any, principal: Principal, params: PageParams, platform_id: str | None, **equal: Any
) -> list[Any]:
    """One page of `model`'s rows the principal may see, by id, filtered on the given columns."""
    query = select(model).where(
        visibility(principal).where(platform=model.platform_id, worker=getattr(model, "worker_id", None))
    )
    if platform_id:
        query = query.where(model.platform_id == platform_id)
    for column, value in equal.items():
        if value:
            query = query.where(getattr(model, column) == value)
    return list((await session.execute(keyset(query, model.id, params))).scalars())
