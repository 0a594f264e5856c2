"""The credit records as the API lists them (`GET /v1/credit-records`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.pagination import PageParams, page_of

from . import repository
from .schemas import CreditRecordPublic


async def list_credit_records(session: AsyncSession, params: PageParams, *, platform_id: str | None = None):
    rows = await repository.records_page(session, params, platform_id=platform_id)
    items = [CreditRecordPublic.model_validate(r) for r in rows]
    return page_of(items, params, lambda r: [r.confirmed_at.isoformat(), r.record_id])
