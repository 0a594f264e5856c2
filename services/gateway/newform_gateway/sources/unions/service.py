"""unions for the regulator: union branches, online membership, consultation on platform rules,
collective contracts (M17, M10)

Fed by `projection.py` from `unions.events`: one row per subject, its latest event.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.pagination import Page, PageParams, page_of

from . import repository
from .schemas import UnionsSubjectPublic


async def subjects(
    session: AsyncSession, params: PageParams, *, platform_id: str | None = None
) -> Page[UnionsSubjectPublic]:
    rows = await repository.subjects_page(session, params, platform_id=platform_id)
    items = [UnionsSubjectPublic.model_validate(r) for r in rows]
    return page_of(items, params, lambda s: [s.subject])
