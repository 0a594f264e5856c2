"""Disputes in the regulator's view (M10, M18, M20): the figures of the disputes read models
(`models.py`) that the API (`router.py`), the page (`page.py`) and the scorecards read.

Figures: cases by category, sector, district and stage; median durations (reply hours, days to
close a case); clocks run out by kind; the mediation success rate; per platform the complaints,
replies in time, median reply time and escalations — the "fair management" scorecard reads these.
Escalations themselves are findings, so they reach departments as alerts like any other
(`GET /v1/disputes/escalations` lists the ones routed to the caller).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.auth import Principal
from newform_common.pagination import Page, PageParams, page_of

from ...alerts import repository as alerts_repository
from ...alerts.schemas import AlertPublic
from ...alerts.service import alert_public
from . import repository
from .schemas import LegalAidRequest, PlatformDisputes


async def platform_disputes(session: AsyncSession, platform_id: str | None = None) -> list[PlatformDisputes]:
    return [PlatformDisputes(**r) for r in await repository.platform_disputes(session, platform_id)]


async def complaint_numbers_of(session: AsyncSession, platform_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{platform: (complaints whose reply is settled — answered or overdue —, those answered in time)}: the
    "fair management" scorecard's reply-in-time share."""
    return await repository.complaint_numbers_of(session, platform_ids)


async def overview(session: AsyncSession) -> dict[str, Any]:
    ended, agreements = await repository.mediations(session)
    return {
        "complaints": await repository.complaint_figures(session),
        "cases": await repository.case_figures(session),
        "mediation": {
            "ended": ended,
            "agreements": agreements,
            "success_rate": round(agreements / ended, 3) if ended else None,
        },
        "clocks_run_out": await repository.clocks_run_out(session),
        "legal_aid_requests": await repository.legal_aid_count(session),
        "platforms": [p.model_dump() for p in await platform_disputes(session)],
    }


async def escalations(session: AsyncSession, principal: Principal, params: PageParams) -> Page[AlertPublic]:
    """Complaints escalated as enforcement clues, as the alerts routed to the caller, a page at a time."""
    visible = alerts_repository.visible(principal)
    items = [alert_public(a) for a in await repository.escalated_alerts(session, visible, params)]
    return page_of(items, params, lambda a: [a.raised_at.isoformat(), a.alert_id])


async def legal_aid_requests(session: AsyncSession, params: PageParams) -> Page[LegalAidRequest]:
    """Workers' requests for legal aid, newest first, a page at a time."""
    items = [LegalAidRequest.model_validate(r) for r in await repository.legal_aid_requests(session, params)]
    return page_of(items, params, lambda r: [r.requested_at.isoformat(), r.case_id])
