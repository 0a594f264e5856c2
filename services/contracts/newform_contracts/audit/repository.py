"""The queries of the audit: reads of unmasked personal data, in order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.pagination import PageParams, keyset

from ..models import PiiAccessLog


async def pii_accesses(session: AsyncSession, params: PageParams) -> list[PiiAccessLog]:
    return list((await session.execute(keyset(select(PiiAccessLog), PiiAccessLog.id, params))).scalars())
