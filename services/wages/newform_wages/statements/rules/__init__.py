"""M6 pay rules on statements (with their M19 and M20 companions), as pure functions over plain data.

Split by question: `facts` (the statement as the rules see it, the checks that refuse a line), `pay`
(pay period, deductions, money, arrears, late payment, late share), `minimum_wage`, `premiums`,
`collective` (the collective contract's standards, M6/M7, 劳动合同法 art. 55).
`judge_statement` applies every one to a statement of a known engagement. Sources and policy
parameters per rule: services/wages/RULES.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ...engagements.rules import Engagement
from ...rules import FindingSpec, calendar_day
from .collective import check_collective_night_allowance, check_collective_piece_rate, check_collective_standards
from .facts import NON_NEGATIVE, Deduction, PremiumDay, Statement, statement_input_errors
from .minimum_wage import (
    check_low_hourly_pay,
    check_minimum_wage,
    check_minimum_wage_month,
    minimum_pay_required,
    minimum_wage_basis,
    shorter_than_a_pay_month,
)
from .pay import (
    arrears_fen,
    check_arrears,
    check_deductions,
    check_late_share_rising,
    check_paid_in_money,
    check_paid_late,
    check_pay_period,
    enforcement_of,
    related_unit_arrears,
)
from .premiums import PREMIUM_PARAMETER, check_premiums, pending_premium_days, premium_minutes

__all__ = [
    "NON_NEGATIVE",
    "PREMIUM_PARAMETER",
    "Deduction",
    "PremiumDay",
    "Statement",
    "arrears_fen",
    "check_arrears",
    "check_collective_night_allowance",
    "check_collective_piece_rate",
    "check_collective_standards",
    "check_deductions",
    "check_late_share_rising",
    "check_low_hourly_pay",
    "check_minimum_wage",
    "check_minimum_wage_month",
    "check_paid_in_money",
    "check_paid_late",
    "check_pay_period",
    "check_premiums",
    "enforcement_of",
    "judge_statement",
    "minimum_pay_required",
    "minimum_wage_basis",
    "pending_premium_days",
    "premium_minutes",
    "related_unit_arrears",
    "shorter_than_a_pay_month",
    "statement_input_errors",
]


def judge_statement(
    s: Statement, e: Engagement, today: date, day_of: Callable[[date], Any] = calendar_day
) -> list[FindingSpec]:
    """Every M6 rule on one statement of a known engagement (a premium question pending the year's
    schedule is left out: `pending_premium_days`)."""
    found = [
        check_pay_period(s, e),
        check_minimum_wage(s, e),
        check_premiums(s, e, day_of),
        check_paid_in_money(s),
        check_arrears(s, today),
        check_paid_late(s),
        check_low_hourly_pay(s, e),
    ]
    return [f for f in found if f is not None] + check_deductions(s)
