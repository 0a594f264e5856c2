"""M7 labour quotas (劳动定额; the measures item 7, 人社厅发〔2023〕50号): a declared quota must be reachable
within the statutory day by the share of a post's workers the policy asks, and may not be above the quota
a collective contract agreed (劳动合同法 art. 55; the measures items 7, 17) (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from newform_common.collective import Collective

from ..rules import FindingSpec, Severity, policy


@dataclass(frozen=True)
class WorkerDay:
    """A worker's day on one post: orders completed and working minutes."""

    worker_id: str
    orders: int
    minutes: int


def reaches_quota(day: WorkerDay, quota_orders: int, statutory_minutes: int) -> bool:
    """At the worker's own pace, are the quota's orders done within the statutory day?"""
    if day.orders >= quota_orders and day.minutes <= statutory_minutes:
        return True
    return day.minutes > 0 and day.orders * statutory_minutes >= quota_orders * day.minutes


@dataclass(frozen=True)
class QuotaResult:
    workers: int
    reaching: int
    finding: FindingSpec | None = field(default=None)


def check_quota(days: Sequence[WorkerDay], quota_orders: int, post: str, on: date) -> QuotaResult:
    """M7: the share of workers on a post who reach the quota within statutory hours must be ≥ 90 %."""
    statutory = policy("hours.statutory_daily_hours", on) * 60
    share = policy("rest.quota_achievable_share_percent", on)
    reaching = sum(1 for d in days if reaches_quota(d, quota_orders, statutory))
    if not days or reaching * 100 >= share * len(days):
        return QuotaResult(len(days), reaching)
    return QuotaResult(
        len(days),
        reaching,
        FindingSpec(
            "M7",
            "M7.quota_unreachable",
            Severity.medium,
            f"岗位 {post} 劳动定额 {quota_orders} 单/日：仅 {reaching}/{len(days)} 名劳动者可在法定工作时间内完成",
            {
                "post": post,
                "date": on.isoformat(),
                "quota_orders_per_day": quota_orders,
                "workers": len(days),
                "reaching": reaching,
                "required_share_percent": share,
            },
        ),
    )


def check_collective_quota(
    quota_orders: int, post: str, start: date, until: date | None, collective: Collective
) -> FindingSpec | None:
    """M7.collective_quota_above (劳动合同法 art. 55; the measures item 7: lower quotas set by collective
    consultation, item 17: collective bargaining on labour quotas): a platform's quota for a post, in
    effect from `start` through `until` (None: open-ended), above the `max_orders_per_day` the collective
    contract agreed for the occupation of the same name, on any day both are in force. The quota is the
    platform's for every district it works in, so a district-bound contract binds it there too."""
    agreed = collective.max_orders(post)
    if agreed is None or quota_orders <= agreed or (collective.occupations and post not in collective.occupations):
        return None
    first = max(start, collective.binds_from)
    ends = [d for d in (until, collective.binds_until) if d is not None]
    if ends and first > min(ends):
        return None  # never in force together
    return FindingSpec(
        "M7",
        "M7.collective_quota_above",
        Severity.medium,
        f"岗位 {post} 劳动定额 {quota_orders} 单/日，高于集体合同约定的 {agreed} 单/日",
        {
            "collective_contract_id": collective.collective_contract_id,
            "post": post,
            "quota_orders_per_day": quota_orders,
            "agreed_max_orders_per_day": agreed,
            "from": first.isoformat(),
            "legal_source": "劳动合同法 第五十五条",
        },
    )


def quota_spans(quotas: Sequence[tuple[str, int, date]]) -> list[tuple[str, int, date, date | None]]:
    """A post's quotas (id, orders per day, effective from; in date order) with the last day each is in
    effect: the day before the next one takes over (None: still in effect)."""
    out = []
    for i, (quota_id, orders, start) in enumerate(quotas):
        until = quotas[i + 1][2] - timedelta(days=1) if i + 1 < len(quotas) else None
        out.append((quota_id, orders, start, until))
    return out
