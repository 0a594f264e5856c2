"""The disputes API (`/v1/disputes`): figures, the escalations routed to the caller, legal-aid requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import Forbidden, problem_responses
from newform_common.pagination import MAX_LIMIT, Page, PageParams, decode_cursor

from ...alerts.schemas import AlertPublic
from . import service
from .schemas import LegalAidRequest

LEGAL_AID_DEPARTMENT = "justice"

router = APIRouter(prefix="/v1/disputes", tags=["disputes"])
Overseer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


async def list_params(
    limit: int = Query(500, ge=1, le=MAX_LIMIT, description="Items per page (500, as before paging)"),
    cursor: str | None = Query(None, description='The cursor of the `Link: <…>; rel="next"` header\'s URL'),
) -> PageParams:
    """These lists answer a JSON array, as published before they paged: the next page is the `Link` header's
    (RFC 8288, rel="next"), absent on the last page."""
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


def paged(request: Request, response: Response, page: Page[Any]) -> list[Any]:
    if page.next_cursor:
        following = request.url.include_query_params(cursor=page.next_cursor)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return page.items


@router.get(
    "/overview",
    responses=problem_responses(401, 403),
    summary="Complaints and cases by category, sector, district and stage; medians; clocks run out; "
    "mediation success; per platform",
)
async def disputes_overview(session: SnapshotDep, principal: Overseer) -> dict[str, Any]:
    return await service.overview(session)


@router.get(
    "/escalations",
    response_model=list[AlertPublic],
    responses=problem_responses(401, 403),
    summary="Escalated complaints (enforcement clues) routed to the caller's department",
)
async def disputes_escalations(
    request: Request,
    response: Response,
    session: SnapshotDep,
    principal: Overseer,
    params: Annotated[PageParams, Depends(list_params)],
):
    page = await service.escalations(session, principal, params)
    return paged(request, response, page)


@router.get(
    "/legal-aid",
    response_model=list[LegalAidRequest],
    responses=problem_responses(401, 403),
    summary="Workers' requests for legal aid, for the justice bureau (newest first)",
)
async def legal_aid_requests(
    request: Request,
    response: Response,
    session: SnapshotDep,
    principal: Overseer,
    params: Annotated[PageParams, Depends(list_params)],
):
    if not principal.is_oversight() and principal.department != LEGAL_AID_DEPARTMENT:
        raise Forbidden("Legal aid requests go to the justice bureau")
    return paged(request, response, await service.legal_aid_requests(session, params))
