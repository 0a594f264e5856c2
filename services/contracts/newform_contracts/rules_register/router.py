"""HTTP of the rule and algorithm register (M10): publish, list, every version of a topic, a diff."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from newform_common.app import SessionDep
from newform_common.auth import Principal
from newform_common.errors import Forbidden, NotFound, Unprocessable, problem_responses
from newform_common.idempotency import idempotent
from newform_common.pagination import Page, page_of
from newform_common.scope import visibility

from ..dependencies import (
    READ_ERRORS,
    WRITE_ERRORS,
    Paging,
    PlatformCaller,
    Reader,
    platform_filter,
)
from . import repository, service
from .schemas import RuleNoticeCreate, RuleNoticeDiff, RuleNoticePublic

router = APIRouter(prefix="/v1")


@router.post(
    "/rule-notices",
    tags=["rule register"],
    status_code=201,
    response_model=RuleNoticePublic,
    responses=WRITE_ERRORS,
    summary="Publish a new version of a rule or algorithm, with its consultation record (M10)",
)
async def publish_rule_notice(body: RuleNoticeCreate, request: Request, session: SessionDep, principal: PlatformCaller):
    async def produce():
        n, refs = await service.publish_rule_notice(session, principal.platform_id, body)
        return service.notice_public(n, refs)

    return await idempotent(request, session, principal, body, produce)


@router.get(
    "/rule-notices",
    tags=["rule register"],
    response_model=Page[RuleNoticePublic],
    responses=READ_ERRORS,
    summary="List rule notices (every version)",
)
async def list_rule_notices(
    session: SessionDep, principal: Reader, params: Paging, platform_id: str | None = None, topic: str | None = None
):
    rows = await repository.rule_notices(
        session, principal, params, platform_id=platform_filter(principal, platform_id), topic=topic
    )
    items = [await service.notice_public_of(session, n) for n in rows]
    return page_of(items, params, lambda n: [n.notice_id])


def _notice_platform(principal: Principal, platform_id: str | None) -> str | None:
    """The platform whose notices the caller reads; None when its view holds no platform's notices (a
    worker's, say: the list shows it none, so the versions and diffs show it none too — issue 24, 11)."""
    view = visibility(principal)
    scope = view.platform_id
    if scope is not None:
        if platform_id is not None and platform_id != scope:
            raise Forbidden("This token's scope does not cover that platform")
        return scope
    if not platform_id:
        raise Unprocessable("platform_id is required", slug="platform-required")
    return platform_id if view.allows(platform_id=platform_id) else None


Topic = Literal[
    "platform_entry_exit",
    "order_allocation",
    "piece_rates",
    "commission_ratio",
    "pay_composition",
    "working_hours",
    "rewards_penalties",
]


@router.get(
    "/rule-notices/{topic}/versions",
    tags=["rule register"],
    response_model=list[RuleNoticePublic],
    responses=problem_responses(401, 403, 422),
    summary="Every version of a platform's rule on a topic",
)
async def list_rule_notice_versions(
    topic: Topic, session: SessionDep, principal: Reader, platform_id: str | None = None
):
    pid = _notice_platform(principal, platform_id)
    if pid is None:
        return []
    return [await service.notice_public_of(session, n) for n in await repository.notice_versions(session, pid, topic)]


@router.get(
    "/rule-notices/{topic}/diff",
    tags=["rule register"],
    response_model=RuleNoticeDiff,
    responses=problem_responses(401, 403, 404, 422),
    summary="What changed between two versions",
)
async def diff_rule_notice_versions(
    topic: Topic,
    session: SessionDep,
    principal: Reader,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
    platform_id: str | None = None,
):
    pid = _notice_platform(principal, platform_id)
    found = (
        {}
        if pid is None
        else {n.version: n for n in await repository.notice_versions(session, pid, topic, (from_version, to_version))}
    )
    for v in (from_version, to_version):
        if v not in found:
            raise NotFound(f"No version {v} of {topic}")
    return RuleNoticeDiff(**service.diff_notices(found[from_version], found[to_version]))
