"""HTTP only: parse, authorise, call the use case, shape the response.

(No `from __future__ import annotations`: the write routes are made per kind of fact in a loop, and
FastAPI reads their body types from real annotations.)"""

from functools import cache
from typing import Annotated
from urllib.parse import unquote

import httpx
from fastapi import APIRouter, Depends, Header, Path, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal, Role, require
from newform_common.errors import NotFound, Problem, problem_responses
from newform_common.idempotency import idempotent
from newform_common.pagination import Page, PageParams, page_of, page_params

from . import adapters, repository, service
from .rules import HOLDERS, KINDS
from .schemas import AuditPublic, BatchIn, BatchPublic, FactPublic, PullRunPublic, PullSourcePublic

router = APIRouter(prefix="/v1")

Department = Annotated[Principal, require(Role.department)]
Reader = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]
Oversight = Annotated[Principal, require(Role.regulator, Role.admin)]
Paging = Annotated[PageParams, Depends(page_params)]
WRITE = problem_responses(401, 403, 409, 422)
READ = problem_responses(400, 401, 403, 404)

PURPOSE_HEADER = "X-Purpose"


@cache
def pii_of(secret: str) -> service.Pii:
    return service.Pii(secret)


def pii(request: Request) -> service.Pii:
    return pii_of(request.app.state.settings.pii_secret)


def _declares_purpose(
    x_purpose: Annotated[
        str | None,
        Header(
            alias=PURPOSE_HEADER,
            description=(
                "Why the caller reads or writes, recorded in the audit log; percent-encoded UTF-8 for "
                "Chinese. Required "
                "on reads of facts (400 `purpose-required` without it)"
            ),
        ),
    ] = None,
) -> None:
    """Declares the header in OpenAPI; `purpose_of` reads it. Optional to FastAPI (so that a missing one
    is our 400 `purpose-required`, not a 422); `PURPOSE_REQUIRED` marks it required in the document."""


PURPOSE = [Depends(_declares_purpose)]
PURPOSE_REQUIRED = {"x-required-headers": [PURPOSE_HEADER]}  # read by the kit's document_headers


def purpose_of(request: Request, *, required: bool) -> str | None:
    """Why the caller reads or writes (header `X-Purpose`; percent-encoded UTF-8 for Chinese)."""
    purpose = unquote(request.headers.get(PURPOSE_HEADER) or "").strip()
    if required and not purpose:
        raise Problem(
            f"Reading facts about workers and enterprises needs an {PURPOSE_HEADER} header stating why "
            "(it is recorded in the audit log)",
            status=400,
            slug="purpose-required",
            title="Purpose required",
        )
    return purpose or None


def _write_routes(kind: str, segment: str, model: type) -> None:
    holders = ", ".join(HOLDERS[kind])
    tag = segment

    async def record_fact(body: model, request: Request, session: SessionDep, principal: Department):  # type: ignore[valid-type]
        async def produce():
            return await service.record_one(
                session, pii(request), principal, kind, body, purpose_of(request, required=False)
            )

        return await idempotent(request, session, principal, body, produce)

    async def record_batch(body: BatchIn, request: Request, session: SessionDep, principal: Department):
        async def produce():
            return await service.record_batch(
                session, pii(request), principal, kind, body.items, purpose_of(request, required=False)
            )

        return await idempotent(request, session, principal, body, produce)

    record_fact.__name__ = f"record_{kind}"
    record_batch.__name__ = f"record_{kind}_batch"
    router.add_api_route(
        f"/{segment}",
        record_fact,
        methods=["POST"],
        tags=[tag],
        status_code=201,
        response_model=FactPublic,
        responses=WRITE,
        dependencies=PURPOSE,
        summary=f"State one {kind.replace('_', ' ')} ({holders}); the same reference again "
        "updates it (version + 1) or changes nothing",
    )
    router.add_api_route(
        f"/{segment}/batches",
        record_batch,
        methods=["POST"],
        tags=[tag],
        status_code=201,
        response_model=BatchPublic,
        responses=WRITE,
        dependencies=PURPOSE,
        summary=f"State many {kind.replace('_', ' ')} facts at once; each bad item its own error, good items kept",
    )


for _kind, _segment in KINDS.items():
    _write_routes(_kind, _segment, service.INPUT_MODELS[_kind])


@router.get(
    "/facts",
    tags=["facts"],
    response_model=Page[FactPublic],
    responses=READ,
    summary="Verified facts (audited read: send X-Purpose)",
    dependencies=PURPOSE,
    openapi_extra=PURPOSE_REQUIRED,
)
async def list_facts(
    request: Request,
    session: SessionDep,
    principal: Reader,
    params: Paging,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
    worker_id: Annotated[str | None, Query(max_length=64)] = None,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
):
    purpose = purpose_of(request, required=True)
    rows = await repository.stated_facts(
        session, params, kind=kind, department=department, worker_id=worker_id, credit_code=credit_code
    )
    filters = {
        k: v
        for k, v in (("kind", kind), ("department", department), ("worker", worker_id), ("credit_code", credit_code))
        if v
    }
    service.audit(session, principal, "read", "facts " + " ".join(f"{k}={v}" for k, v in filters.items()), purpose)
    return page_of([service.public(r) for r in rows], params, lambda f: [f.fact_id])


@router.get(
    "/facts/{fact_id}",
    tags=["facts"],
    response_model=FactPublic,
    responses=READ,
    summary="One verified fact (audited read: send X-Purpose)",
    dependencies=PURPOSE,
    openapi_extra=PURPOSE_REQUIRED,
)
async def get_fact(
    fact_id: Annotated[str, Path(max_length=40)], request: Request, session: SessionDep, principal: Reader
):
    purpose = purpose_of(request, required=True)
    row = await repository.stated_fact(session, fact_id)
    if row is None:
        raise NotFound(f"No fact {fact_id!r}")
    service.audit(session, principal, "read", f"fact {fact_id}", purpose)
    return service.public(row)


@router.get(
    "/audit",
    tags=["audit"],
    response_model=Page[AuditPublic],
    responses=problem_responses(401, 403),
    summary="Who wrote or read what, when and why (the regulator's view)",
)
async def list_audit(
    session: SessionDep,
    principal: Oversight,
    params: Paging,
    department: Annotated[str | None, Query(max_length=32)] = None,
    action: Annotated[str | None, Query(pattern="^(read|write)$")] = None,
):
    rows = await repository.audit_entries(session, params, department=department, action=action)
    return page_of([AuditPublic.model_validate(r) for r in rows], params, lambda a: [a.id])


del _kind, _segment


# -- pull sources -------------------------------------------------------------------------------------------
@router.get(
    "/pull-sources",
    tags=["pull sources"],
    response_model=list[PullSourcePublic],
    responses=problem_responses(401, 403),
    summary="The departments' systems pulled from, each with its last runs (requests, records, failures)",
)
async def list_pull_sources(request: Request, session: SessionDep, principal: Reader):
    sources = request.app.state.settings.pull_sources
    out = []
    for s in sources:
        runs = await repository.last_runs(session, s.name, limit=10)
        out.append(
            PullSourcePublic(
                name=s.name,
                adapter=s.adapter,
                department=s.department,
                url=s.url,
                interval_s=s.interval_s,
                runs=[PullRunPublic.model_validate(r) for r in runs],
            )
        )
    return out


@router.post(
    "/pull-sources/{name}/run",
    tags=["pull sources"],
    response_model=PullRunPublic,
    responses=problem_responses(401, 403, 404),
    summary="Pull from one source now (admin; the schedule does it anyway)",
)
async def run_pull_source(
    name: Annotated[str, Path(max_length=40)], request: Request, principal: Annotated[Principal, require(Role.admin)]
):
    settings = request.app.state.settings
    source = next((s for s in settings.pull_sources if s.name == name), None)
    if source is None:
        raise NotFound(f"No pull source {name!r}")
    async with httpx.AsyncClient(timeout=source.timeout_s) as client:
        run = await adapters.pull_once(request.app.state.db, pii(request), source, client)
    return PullRunPublic.model_validate(run)
