"""HTTP of related units: declaring one and listing them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from newform_common.app import SessionDep
from newform_common.errors import Forbidden, problem_responses
from newform_common.idempotency import idempotent
from newform_common.scope import visibility

from ..routing import WRITE_ERRORS, Platform, Reader
from . import repository as repo
from . import service
from .schemas import RelatedUnitCreate, RelatedUnitPublic

router = APIRouter(prefix="/v1")


@router.post(
    "/related-units",
    tags=["related units"],
    status_code=201,
    response_model=RelatedUnitPublic,
    responses=WRITE_ERRORS,
    summary="Declare a related unit that pays its own staff (and whether the platform is entrusted to pay for it)",
)
async def register_related_unit(body: RelatedUnitCreate, request: Request, session: SessionDep, principal: Platform):
    async def produce():
        row = await service.register_related_unit(session, principal.platform_id, body)
        return RelatedUnitPublic(related_unit_id=row["id"], platform_id=principal.platform_id, **body.model_dump())

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/related-units",
    tags=["related units"],
    response_model=list[RelatedUnitPublic],
    responses=problem_responses(401, 403),
    summary="Related units (a platform its own)",
)
async def list_related_units(session: SessionDep, principal: Reader):
    view = visibility(principal)
    if view.worker_id is not None or view.nothing:
        raise Forbidden("Related units are for platforms and oversight")
    rows = await repo.visible_related_units(session, principal)
    return [
        RelatedUnitPublic(
            related_unit_id=r["id"],
            **{
                k: r[k]
                for k in ("platform_id", "enterprise_id", "name", "credit_code", "kind", "platform_entrusted_to_pay")
            },
        )
        for r in rows
    ]
