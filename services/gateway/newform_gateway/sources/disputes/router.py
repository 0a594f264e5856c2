"""The disputes API (`/v1/disputes`): figures, the escalations routed to the caller, legal-aid requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import Forbidden, problem_responses

from ...alerts.schemas import AlertPublic
from . import repository, service
from .schemas import LegalAidRequest

LEGAL_AID_DEPARTMENT = "justice"

router = APIRouter(prefix="/v1/disputes", tags=["disputes"])
Overseer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


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
async def disputes_escalations(session: SnapshotDep, principal: Overseer):
    return await service.escalations(session, principal)


@router.get(
    "/legal-aid",
    response_model=list[LegalAidRequest],
    responses=problem_responses(401, 403),
    summary="Workers' requests for legal aid, for the justice bureau (newest first)",
)
async def legal_aid_requests(session: SnapshotDep, principal: Overseer):
    if not principal.is_oversight() and principal.department != LEGAL_AID_DEPARTMENT:
        raise Forbidden("Legal aid requests go to the justice bureau")
    return [LegalAidRequest.model_validate(r) for r in await repository.legal_aid_requests(session)]
