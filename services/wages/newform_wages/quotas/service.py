"""Quotas: declaring one, judging it on a post's day (M7), after each upload of sessions or on request, and
against the collective contracts of its platform (劳动合同法 art. 55) when it is declared and when a
collective contract comes into force over it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.collective import Collective
from newform_common.findings import raise_finding
from newform_common.ids import new_id
from newform_common.outbox import record

from .. import repository as shared
from .. import rules as shared_rules
from ..collective.repository import collectives_of_platform
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
    await judge_collective_quotas(session, platform_id, body.post, await collectives_of_platform(session, platform_id))
    return row


async def judge_collective_quotas(
    session: AsyncSession, platform_id: str, post: str, collectives: Sequence[Collective]
) -> int:
    """M7.collective_quota_above: each of the platform's quotas for a post judged against each collective
    contract of the platform, over the days both are in effect; once per (quota, contract). Returns the
    findings raised."""
    collectives = [c for c in collectives if platform_id in c.platform_ids]
    if not collectives:
        return 0
    raised = 0
    for quota_id, orders, start, until in rules.quota_spans(await repo.quotas_of_post(session, platform_id, post)):
        for collective in collectives:
            spec = rules.check_collective_quota(orders, post, start, until, collective)
            if spec is None:
                continue
            key = (spec.rule, f"{quota_id}:{collective.collective_contract_id}"[:120], platform_id)
            if not await shared.claim_judgements(session, [key], datetime.now(UTC)):
                continue
            await raise_finding(
                session,
                spec,
                subject_type="quota",
                subject_id=quota_id,
                platform_id=platform_id,
                enterprise_id=platform_id,
                occupation=post,  # the post matched the agreed quota's occupation: its sector regulator hears
            )
            raised += 1
    return raised
