"""M6 pay rules on one statement: the pay period, deductions, payment in money, arrears (and their M20
and M19 companions), late payment, and a platform's rising late share (early warning)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from newform_common.policy import Policy

from ...engagements.rules import Engagement
from ...rules import FindingSpec, Severity, add_months, loaded_policy, policy, policy_value
from .facts import Statement


@lru_cache(maxsize=4096)
def _pay_period_excess(loaded: Policy, part_time: bool, start: date, end: date) -> tuple[bool, str]:
    """Whether a period is too long, and the limit in words (a batch's lines share a few periods)."""
    days = (end - start).days + 1
    if part_time:
        limit = policy_value(loaded, "pay.part_time.max_pay_period_days", start)
        return days > limit, f"{limit} 天"
    limit = policy_value(loaded, "pay.max_pay_period_days", start)
    return days > limit or end >= add_months(start, 1), "一个月"


def check_pay_period(s: Statement, e: Engagement) -> FindingSpec | None:
    """M6: at most one month (a calendar month's length); part-time at most 15 days."""
    too_long, limit_text = _pay_period_excess(loaded_policy(), e.part_time, s.period_start, s.period_end)
    if not too_long:
        return None
    return FindingSpec(
        "M6",
        "M6.max_pay_period",
        Severity.medium,
        f"工资支付周期 {s.days} 天，超过{limit_text}",
        {
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
            "days": s.days,
            "part_time": e.part_time,
            "limit": limit_text,
        },
    )


@lru_cache(maxsize=4096)
def _deduction_reasons(loaded: Policy, on: date) -> tuple[frozenset[str], frozenset[str]]:
    """(lawful, forbidden) reasons on a date, as sets built once per date and policy."""
    return (
        frozenset(policy_value(loaded, "wages.deductions.lawful_reasons", on)),
        frozenset(policy_value(loaded, "wages.deductions.forbidden_reasons", on)),
    )


def check_deductions(s: Statement) -> list[FindingSpec]:
    """M6: each deduction needs a lawful reason; fines, deposits, risk money, equipment fees are forbidden."""
    lawful, forbidden = _deduction_reasons(loaded_policy(), s.period_start)
    found: list[FindingSpec] = []
    bad = [d for d in s.deductions if d.reason in forbidden]
    if bad:
        found.append(
            FindingSpec(
                "M6",
                "M6.unlawful_deduction",
                Severity.high,
                f"从工资中扣除{'、'.join(sorted({d.reason for d in bad}))}，共 "
                f"{sum(d.amount_fen for d in bad) / 100:.2f} 元",
                {"deductions": [{"reason": d.reason, "amount_fen": d.amount_fen} for d in bad]},
            )
        )
    unexplained = [d for d in s.deductions if d.reason not in lawful and d.reason not in forbidden]
    if unexplained:
        found.append(
            FindingSpec(
                "M6",
                "M6.deduction_without_lawful_reason",
                Severity.medium,
                f"{len(unexplained)} 项扣款无法定理由",
                {"deductions": [{"reason": d.reason, "amount_fen": d.amount_fen} for d in unexplained]},
            )
        )
    return found


def check_paid_in_money(s: Statement) -> FindingSpec | None:
    """M6 (工资支付暂行规定 art. 5): wages are paid in money, not points, coupons or goods."""
    if s.payment_method in policy("wages.payment_methods.money", s.period_start):
        return None
    return FindingSpec(
        "M6",
        "M6.paid_in_money",
        Severity.high,
        f"工资以非货币形式（{s.payment_method}）支付",
        {"payment_method": s.payment_method, "paid_fen": s.paid_fen},
    )


def arrears_fen(s: Statement, today: date) -> int:
    """What is owed after the due date (0 before it): the net due minus what was paid by then or since."""
    if today <= s.due_date:
        return 0
    return max(0, s.net_due_fen - s.paid_fen)


def check_arrears(s: Statement, today: date) -> FindingSpec | None:
    """M6: unpaid or short-paid after the due date is arrears (partial payment: of the difference)."""
    owed = arrears_fen(s, today)
    if owed == 0:
        return None
    return FindingSpec(
        "M6",
        "M6.wage_arrears",
        Severity.high,
        f"拖欠工资 {owed / 100:.2f} 元（应发 {s.net_due_fen / 100:.2f} 元，已付 {s.paid_fen / 100:.2f} 元）",
        {
            "arrears_fen": owed,
            "net_due_fen": s.net_due_fen,
            "paid_fen": s.paid_fen,
            "due_date": s.due_date.isoformat(),
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
            "partial": s.paid_fen > 0,
        },
    )


def check_paid_late(s: Statement) -> FindingSpec | None:
    """M6 (工资支付暂行规定 art. 7): paid in full, but after the due date."""
    if s.paid_on is None or s.paid_on <= s.due_date or s.paid_fen < s.net_due_fen:
        return None
    return FindingSpec(
        "M6",
        "M6.paid_late",
        Severity.low,
        f"工资迟延 {(s.paid_on - s.due_date).days} 天支付",
        {
            "due_date": s.due_date.isoformat(),
            "paid_on": s.paid_on.isoformat(),
            "days_late": (s.paid_on - s.due_date).days,
        },
    )


def enforcement_of(arrears: FindingSpec) -> FindingSpec:
    """M20: the same arrears for the joint enforcement channel (its own departments)."""
    return FindingSpec(
        "M20",
        "M20.wage_arrears_enforcement",
        arrears.severity,
        arrears.summary,
        {**arrears.evidence, "source_rule": arrears.rule},
    )


def related_unit_arrears(arrears: FindingSpec, unit: dict[str, Any]) -> FindingSpec:
    """M19/M6: the platform entrusted to pay a related unit's staff is told of the unit's arrears (and the
    credit supervision units see the platform's part). The unit stays liable for its staff's pay (item 6:
    关联单位…承担本单位员工劳动报酬支付主体责任; 可委托平台企业支付 moves the payment, not the liability): the
    credit record is the unit's (the M6.wage_arrears finding, its own credit code), never the platform's."""
    liable = ["related_unit"]
    return FindingSpec(
        "M19",
        "M19.related_unit_arrears",
        arrears.severity,
        f"关联单位{unit['name']}拖欠工资：{arrears.summary}",
        {
            **arrears.evidence,
            "related_unit_id": unit["enterprise_id"],
            "unit_name": unit["name"],
            "credit_code": unit["credit_code"],
            "platform_entrusted_to_pay": unit["platform_entrusted_to_pay"],
            "liable": liable,
            "entrusted_payer": "platform" if unit["platform_entrusted_to_pay"] else None,
        },
    )


def check_late_share_rising(previous: tuple[int, int], current: tuple[int, int], month: date) -> FindingSpec | None:
    """Early warning (M6, low): the share of a platform's statements paid late or short (late, total) rose
    by at least the policy's points from the previous month to `month`."""
    (late_before, total_before), (late_now, total_now) = previous, current
    if total_before == 0 or total_now == 0:
        return None
    rise = policy("wages.early_warning.late_share_rise_points", month)
    # late_now/total_now - late_before/total_before >= rise/100, in integers
    if (late_now * total_before - late_before * total_now) * 100 < rise * total_now * total_before:
        return None
    return FindingSpec(
        "M6",
        "M6.early_warning_late_share_rising",
        Severity.low,
        f"{month:%Y-%m} 迟发或少发工资的比例升至 {late_now * 100 // total_now}%"
        f"（上月 {late_before * 100 // total_before}%）",
        {
            "month": f"{month:%Y-%m}",
            "late": late_now,
            "statements": total_now,
            "previous_late": late_before,
            "previous_statements": total_before,
            "rise_points": rise,
        },
    )
