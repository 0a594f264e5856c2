"""The unions slice's queries: writing a batch of subjects' latest events, and reading them a page at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common import bulk
from newform_common.pagination import PageParams, keyset

from .models import UnionsSubject


async def write_latest(session: AsyncSession, subjects: list[dict[str, Any]]) -> None:
    """Each subject's row becomes its latest event (the first event's time is kept)."""
    if subjects:
        update = [c for c in subjects[0] if c not in ("subject", "first_event_at")]
        await bulk.upsert(session, UnionsSubject, subjects, key=["subject"], update=update)


async def subjects_page(
    session: AsyncSession, params: PageParams, *, platform_id: str | None = None
) -> list[UnionsSubject]:
    """Subjects in their key's order from the cursor on, one beyond the page."""
    query = select(UnionsSubject)
    if platform_id is not None:
        query = query.where(UnionsSubject.platform_id == platform_id)
    return list((await session.scalars(keyset(query, UnionsSubject.subject, params))).all())
