"""M7 labour quotas (劳动定额; the measures item 7, 人社厅发〔2023〕50号): a declared quota must be reachable
within the statutory day by the share of a post's workers the policy asks (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

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
