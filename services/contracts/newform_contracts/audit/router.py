"""HTTP of the audit: every read of unmasked personal data (regulator or admin)."""

from __future__ import annotations

from fastapi import APIRouter

from newform_common.app import SessionDep
from newform_common.pagination import Page, page_of

from ..dependencies import (
    READ_ERRORS,
    Oversight,
    Paging,
)
from . import repository
from .schemas import PiiAccessPublic

router = APIRouter(prefix="/v1")


@router.get(
    "/pii-access-log",
    tags=["audit"],
    response_model=Page[PiiAccessPublic],
    responses=READ_ERRORS,
    summary="Every read of unmasked personal data (regulator or admin)",
)
async def list_pii_access(session: SessionDep, principal: Oversight, params: Paging):
    page = page_of(await repository.pii_accesses(session, params), params, lambda r: [r.id])
    return Page[PiiAccessPublic](
        items=[PiiAccessPublic.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )
