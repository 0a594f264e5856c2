"""Early warnings before arrears (M6): a platform's share of statements paid late or short rising from one
month to the next (judged once per platform and month), and what `GET /platforms/{id}/early-warnings`
shows (late shares by month, periods due soon without a statement, pay close to the hourly minimum)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.deadlines import end_of_business_day
from newform_common.findings import raise_finding

from .. import repository as shared
from ..rules import add_months, policy
from . import repository as repo
from . import rules
from .clocks import PERIOD_DUE


async def warn_late_share(session: AsyncSession, platform_id: str, months: set[date], today: date) -> int:
    """Early warning per month touched: the platform's late share rose from the month before (once per month)."""
    if not months:
        return 0
    # Two uploads touching the same or adjacent months would each count without the other's statements
    # and the warning could be missed: the months read are locked until commit (the upload's last step).
    await repo.lock_platform_months(session, platform_id, {add_months(m, d) for m in months for d in (-1, 0, 1)})
    shares = await repo.late_shares(
        session, platform_id, add_months(min(months), -1), add_months(max(months), 1), today
    )
    candidates = [
        (m, spec)
        for m in sorted(months)
        if (spec := rules.check_late_share_rising(shares.get(add_months(m, -1), (0, 0)), shares.get(m, (0, 0)), m))
        is not None
    ]
    new = await shared.claim_judgements(
        session, [(spec.rule, f"{platform_id}:{m:%Y-%m}", platform_id) for m, spec in candidates], datetime.now(UTC)
    )
    raised = 0
    for m, spec in candidates:
        if (spec.rule, f"{platform_id}:{m:%Y-%m}", platform_id) in new:
            await raise_finding(
                session,
                spec,
                subject_type="platform_month",
                subject_id=f"{platform_id}:{m:%Y-%m}"[:64],
                platform_id=platform_id,
                enterprise_id=platform_id,
            )
            raised += 1
    return raised


@dataclass
class EarlyWarnings:
    platform_id: str
    late_share_by_month: list[dict[str, Any]]
    periods_due_soon_without_statement: list[dict[str, Any]]
    low_hourly_pay_statements: int


async def early_warnings(session: AsyncSession, platform_id: str, today: date) -> EarlyWarnings:
    """What warns before arrears: late shares by month (last 6), periods due soon with no statement,
    statements paying close to the hourly minimum."""
    shares = await repo.late_shares(
        session,
        platform_id,
        add_months(today.replace(day=1), -6),
        add_months(today.replace(day=1), 1),
        today,
    )
    by_month = [
        {
            "month": f"{m:%Y-%m}",
            "late": late,
            "statements": total,
            "late_share_percent": late * 100 // total if total else None,
        }
        for m, (late, total) in sorted(shares.items())
    ]
    soon = end_of_business_day(today + timedelta(days=policy("wages.early_warning.days_before_due", today)))
    clocks = await repo.period_clocks_without_statement(session, platform_id, PERIOD_DUE, soon)
    low = await repo.low_hourly_pay_warnings(session, platform_id)
    return EarlyWarnings(platform_id, by_month, clocks, low)
