"""Quotas: declaring one, and judging it on a post's day (M7), after each upload of sessions or on request."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.findings import raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record

from .. import repository as shared
from .. import rules as shared_rules
from ..events import QuotaAssessed
from . import repository as repo
from . import rules
from .schemas import QuotaCreate


async def assess_quotas(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """M7: each (platform, post, day) touched that has a declared quota is judged on every worker's day there."""
    targets = {(r["platform_id"], r["post"], r["work_date"]) for r in rows if r["post"]}
    raised = 0
    for platform_id, post, day in sorted(targets):
        result = await assess_quota(session, platform_id, post, day)
        raised += 1 if result and result[1] is not None else 0
    return raised


async def assess_quota(session: AsyncSession, platform_id: str, post: str, day: date):
    """M7: the quota in effect on a post's day judged on every worker's day there (None: no quota in effect)."""
    quota = await repo.quota_in_effect(session, platform_id, post, day)
    if quota is None:
        return None
    worker_days = [
        rules.WorkerDay(r["worker_id"], r["orders"], r["minutes"])
        for r in await repo.worker_days(session, platform_id, post, day)
    ]
    result = rules.check_quota(worker_days, quota["orders_per_day"], post, day)
    record(
        session,
        QuotaAssessed(
            platform_id=platform_id,
            post=post,
            work_date=day,
            quota_orders_per_day=quota["orders_per_day"],
            workers=result.workers,
            reaching=result.reaching,
            met=result.finding is None,
        ),
    )
    ref = None
    if result.finding is not None:
        subject = f"{post}:{day.isoformat()}"[:64]
        if await shared.claim_judgements(session, [(result.finding.rule, subject, platform_id)], datetime.now(UTC)):
            ref = await raise_finding(
                session,
                result.finding,
                subject_type="quota",
                subject_id=subject,
                platform_id=platform_id,
                enterprise_id=platform_id,
            )
    return quota, ref, result


async def declare_quota(session: AsyncSession, platform_id: str, body: QuotaCreate) -> dict[str, Any]:
    """Declare a quota for a post from a date (422 before the policy; the same post and date replaced)."""
    row = {"id": new_id("qt"), "platform_id": platform_id, **body.model_dump(), "declared_at": datetime.now(UTC)}
    shared_rules.policy("rest.quota_achievable_share_percent", body.effective_from)  # 422 before the policy
    row["id"] = await repo.upsert_quota(session, row)
    return row
